package org.sparkattention.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;
import org.sparkattention.job.SparkTestSession;

/** The generator's file layouts: the files asked for, and the row-group size asked for. */
@SparkTest
class SyntheticDataGeneratorTest {
  @TempDir Path dir;

  @Test
  void rowGroupSizeIsTheOneAskedFor() throws IOException {
    // 200 sequences of 40 x 128 floats: about 4 MB in one file.
    var spec = new SyntheticDataGenerator.Spec(200, 40, 40, 0, 0, 128, 3, 1, 1);
    SyntheticDataGenerator.write(SparkTestSession.get(), spec, dir.resolve("small").toString());
    var whole = new SyntheticDataGenerator.Spec(200, 40, 40, 0, 0, 128, 3, 1, 64);
    SyntheticDataGenerator.write(SparkTestSession.get(), whole, dir.resolve("whole").toString());
    List<Integer> small = rowGroupsPerFile(dir.resolve("small/input"));
    List<Integer> one = rowGroupsPerFile(dir.resolve("whole/input"));
    assertEquals(1, small.size(), "one file");
    assertTrue(
        small.get(0) >= 2,
        "1 MiB row groups of ~4 MB (Parquet checks the size now and then): " + small);
    assertEquals(List.of(1), one, "a row group larger than the file: one");
    assertEquals(200, Files.readAllLines(dir.resolve("whole/lengths.txt")).size());
  }

  private static List<Integer> rowGroupsPerFile(Path dataset) throws IOException {
    try (Stream<Path> files = Files.walk(dataset)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".parquet"))
          .map(
              p -> {
                try (ParquetFileReader reader =
                    ParquetFileReader.open(
                        HadoopInputFile.fromPath(
                            new org.apache.hadoop.fs.Path(p.toUri()), new Configuration()))) {
                  return reader.getFooter().getBlocks().size();
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              })
          .toList();
    }
  }
}
