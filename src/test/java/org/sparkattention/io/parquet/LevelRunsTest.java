package org.sparkattention.io.parquet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Random;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridDecoder;
import org.junit.jupiter.api.Test;

/**
 * The matrix writer's level encoder, without Spark: whatever runs it is given, Parquet's own
 * RLE/bit-packing hybrid decoder reads back the same levels, for one- and two-byte level widths.
 */
class LevelRunsTest {
  @Test
  void parquetsDecoderReadsBackEveryLevel() throws IOException {
    Random rnd = new Random(4);
    for (int maxLevel : new int[] {1, 2, 3, 7, 255, 300}) {
      for (int trial = 0; trial < 20; trial++) {
        LevelRuns runs = new LevelRuns(maxLevel);
        int total = 0;
        int[] expected = new int[5000];
        while (total < 4000) {
          int level = rnd.nextInt(maxLevel + 1);
          // Runs of 0 (ignored), short ones and long ones; repeats of a level merge.
          int n = rnd.nextInt(4) == 0 ? rnd.nextInt(700) : rnd.nextInt(3);
          runs.add(level, n);
          for (int i = 0; i < n && total < expected.length; i++) {
            expected[total++] = level;
          }
        }
        byte[] encoded = runs.finish();
        int bitWidth = 32 - Integer.numberOfLeadingZeros(maxLevel);
        RunLengthBitPackingHybridDecoder decoder =
            new RunLengthBitPackingHybridDecoder(bitWidth, new ByteArrayInputStream(encoded));
        int[] decoded = new int[total];
        for (int i = 0; i < total; i++) {
          decoded[i] = decoder.readInt();
        }
        assertArrayEquals(
            java.util.Arrays.copyOf(expected, total),
            decoded,
            "max level " + maxLevel + ", trial " + trial);
      }
    }
  }

  @Test
  void finishStartsANewSequence() throws IOException {
    LevelRuns runs = new LevelRuns(1);
    runs.add(1, 3);
    runs.finish();
    runs.add(0, 2);
    byte[] second = runs.finish();
    // One run: header (2 << 1) then the level in one byte.
    assertArrayEquals(new byte[] {4, 0}, second);
    RunLengthBitPackingHybridDecoder d =
        new RunLengthBitPackingHybridDecoder(1, new ByteArrayInputStream(second));
    assertEquals(0, d.readInt());
    assertEquals(0, d.readInt());
  }
}
