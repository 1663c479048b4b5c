package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.model.AttentionWeights;
import org.sparkattention.model.SafetensorsFile;

/**
 * Seeded corruption of safetensors files and Parquet inputs, bounded in count and time: every case
 * ends in a clear error or a result, never a hang, a JVM crash or a stack trace for the user.
 */
@SparkTest
class FuzzTest {
  @TempDir Path dir;

  /** One corruption of a valid image: flipped bytes, a cut, a bad length, or a mangled header. */
  static byte[] corrupt(byte[] valid, Random rnd) {
    byte[] b = valid.clone();
    long headerLen = ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    switch (rnd.nextInt(6)) {
      case 0 -> { // flip bytes in the JSON header
        for (int i = 0; i < 1 + rnd.nextInt(4); i++) {
          b[8 + rnd.nextInt((int) headerLen)] ^= (byte) (1 + rnd.nextInt(255));
        }
      }
      case 1 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncate anywhere
      case 2 -> // a header length that lies
          ByteBuffer.wrap(b)
              .order(ByteOrder.LITTLE_ENDIAN)
              .putLong(0, rnd.nextLong() >> rnd.nextInt(64));
      case 3 -> { // flip bytes in the data (the file stays valid, the values change)
        for (int i = 0; i < 8; i++) {
          b[(int) (8 + headerLen) + rnd.nextInt((int) (b.length - 8 - headerLen))] ^= (byte) 0xff;
        }
      }
      case 4 -> { // rewrite numbers in the header
        String h = new String(b, 8, (int) headerLen, StandardCharsets.UTF_8);
        String mangled = h.replaceFirst("\\d+", String.valueOf(rnd.nextInt(1 << 20) - 1000));
        byte[] hb = mangled.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + hb.length + b.length - 8 - (int) headerLen);
        out.order(ByteOrder.LITTLE_ENDIAN).putLong(hb.length).put(hb);
        out.put(b, 8 + (int) headerLen, b.length - 8 - (int) headerLen);
        b = out.array();
      }
      default -> { // random garbage of random size
        b = new byte[rnd.nextInt(64)];
        rnd.nextBytes(b);
      }
    }
    return b;
  }

  @Test
  void corruptSafetensorsEndInAClearErrorOrValidWeights() throws Exception {
    byte[] valid = Files.readAllBytes(Path.of(JobFeaturesTest.WEIGHTS));
    Random rnd = new Random(20261123);
    int[] outcomes = new int[2];
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          for (int i = 0; i < 2000; i++) {
            byte[] bytes = corrupt(valid, rnd);
            try {
              AttentionWeights w =
                  AttentionWeights.fromStateDict(SafetensorsFile.parse("fuzz-" + i, bytes), "");
              assertEquals(32, w.embedDim(), "a file that reads is the layer, shape-checked");
              outcomes[0]++;
            } catch (AttentionException e) {
              assertEquals(AttentionException.Kind.WEIGHTS, e.kind());
              assertTrue(e.getMessage().contains("fuzz-" + i), e.getMessage());
              outcomes[1]++;
            }
          }
        });
    System.out.printf("safetensors fuzz: %d read, %d refused%n", outcomes[0], outcomes[1]);
    assertTrue(outcomes[1] > 1000, "most corruptions are refused");
  }

  @Test
  void corruptParquetInputEndsInAClearErrorOrAResult() throws Exception {
    Path samples = Path.of(JobFeaturesTest.SAMPLES);
    List<Path> parts;
    try (Stream<Path> s = Files.list(samples)) {
      parts = s.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
    }
    Random rnd = new Random(7);
    int ok = 0;
    int refused = 0;
    for (int i = 0; i < 8; i++) {
      Path input = Files.createDirectories(dir.resolve("in-" + i));
      for (Path p : parts) {
        Files.copy(p, input.resolve(p.getFileName()));
      }
      Path victim = input.resolve(parts.get(rnd.nextInt(parts.size())).getFileName());
      byte[] b = Files.readAllBytes(victim);
      if (i % 3 == 0) {
        b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncated file
      } else {
        int at = i % 3 == 1 ? b.length - 8 - rnd.nextInt(200) : 4 + rnd.nextInt(b.length - 8);
        for (int k = 0; k < 16; k++) {
          b[Math.min(b.length - 1, at + k)] ^= (byte) (1 + rnd.nextInt(255));
        }
      }
      Files.write(victim, b);
      Path out = dir.resolve("out-" + i);
      Path bad = dir.resolve("bad-" + i);
      JobRunner.Result r =
          assertTimeoutPreemptively(
              Duration.ofSeconds(120),
              () ->
                  JobRunner.main(
                      JobFeaturesTest.sampleArgs(
                          input.toString(),
                          out.toString(),
                          "--bad.rows",
                          "quarantine",
                          "--bad.rows.output",
                          bad.toString())));
      assertTrue(r.exitCode() == 0 || r.exitCode() == 4, "case " + i + ": " + r.stderr());
      assertFalse(r.stderr().contains("\tat "), "no stack trace: " + r.stderr());
      if (i % 3 == 0) {
        // A file cut short has no footer: never read as if it were whole.
        assertEquals(4, r.exitCode(), "case " + i + " (truncated): " + r.stderr());
      }
      if (r.exitCode() == 0) {
        assertTrue(r.summaryLine().startsWith("{\"status\":\"succeeded\""));
        // Every input row is accounted for: written, or set aside with its reason.
        var summary = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.summaryLine());
        assertEquals(
            summary.get("sequences").asLong(),
            summary.get("rows_written").asLong() + summary.get("bad_rows").asLong(),
            "case " + i + ": " + r.summaryLine());
        ok++;
      } else {
        List<String> errors = r.stderr().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.stderr());
        assertTrue(
            errors.get(0).contains(victim.getFileName().toString()),
            "the error names the corrupt file: " + errors.get(0));
        assertFalse(Files.exists(out), "no output after a refused run");
        refused++;
      }
    }
    assertTrue(refused >= 3, "the truncated files were refused: " + refused);
    System.out.printf("parquet fuzz: %d completed, %d refused%n", ok, refused);
  }
}
