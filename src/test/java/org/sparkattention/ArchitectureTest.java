package org.sparkattention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layout is the architecture: the kernel stays free of Spark SQL, files and configuration, and
 * Spark's and Parquet's internal APIs, whose signatures move between releases, are used from one
 * package only ({@code io.spark}).
 */
class ArchitectureTest {
  private static final Path MAIN = Path.of("src/main/java/org/sparkattention");

  private static final List<String> FORBIDDEN_IN_KERNEL =
      List.of(
          "import org.apache.spark.sql",
          "import org.apache.spark.api",
          "import org.apache.hadoop",
          "import java.io.File",
          "import java.nio.file",
          "import org.sparkattention.config",
          "import org.sparkattention.io",
          "import org.sparkattention.job");

  /** Internal APIs, imported or written out in full. */
  private static final List<String> INTERNAL_APIS =
      List.of(
          "org.apache.spark.sql.classic",
          "org.apache.spark.sql.execution",
          "org.apache.spark.rdd.InputFileBlockHolder",
          "org.apache.parquet");

  private static List<Path> sources(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> p.toString().endsWith(".java")).toList();
    }
  }

  @Test
  void kernelImportsNeitherSparkSqlNorIoNorConfig() throws IOException {
    List<Path> sources = sources(MAIN.resolve("kernel"));
    assertTrue(sources.size() >= 5, "kernel sources found");
    for (Path source : sources) {
      for (String line : Files.readAllLines(source)) {
        for (String forbidden : FORBIDDEN_IN_KERNEL) {
          assertTrue(!line.startsWith(forbidden), source.getFileName() + ": " + line);
        }
      }
    }
  }

  @Test
  void internalApisAreUsedFromIoSparkOnly() throws IOException {
    Path allowed = MAIN.resolve("io/spark");
    List<String> found = new ArrayList<>();
    int inAllowed = 0;
    for (Path source : sources(MAIN)) {
      String text = Files.readString(source);
      for (String api : INTERNAL_APIS) {
        if (text.contains(api)) {
          if (source.startsWith(allowed)) {
            inAllowed++;
          } else {
            found.add(MAIN.relativize(source) + " uses " + api);
          }
        }
      }
    }
    assertTrue(found.isEmpty(), "internal APIs outside io.spark: " + found);
    assertTrue(inAllowed >= 4, "the check sees io.spark's own uses: " + inAllowed);
  }
}
