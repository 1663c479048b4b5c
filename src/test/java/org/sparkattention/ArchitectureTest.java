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
 * The layout is the architecture: the kernel stays free of Spark SQL, files and configuration;
 * Spark's internal APIs, whose signatures move between releases, are used from {@code io.spark}
 * only, and parquet-java from {@code io.spark} and {@code io.parquet} only ({@code io.parquet}
 * knowing nothing of Spark).
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

  /** Spark's internal APIs, imported or written out in full. */
  private static final List<String> SPARK_INTERNALS =
      List.of(
          "org.apache.spark.sql.classic",
          "org.apache.spark.sql.execution",
          "org.apache.spark.rdd.InputFileBlockHolder");

  private static final String PARQUET = "org.apache.parquet";

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
  void sparkInternalsAreUsedFromIoSparkOnly() throws IOException {
    assertUsedOnlyIn(SPARK_INTERNALS, List.of(MAIN.resolve("io/spark")));
  }

  @Test
  void parquetIsUsedFromIoSparkAndIoParquetOnly() throws IOException {
    assertUsedOnlyIn(
        List.of(PARQUET), List.of(MAIN.resolve("io/spark"), MAIN.resolve("io/parquet")));
  }

  @Test
  void ioParquetKnowsNothingOfSpark() throws IOException {
    for (Path source : sources(MAIN.resolve("io/parquet"))) {
      assertTrue(
          !Files.readString(source).contains("org.apache.spark"),
          source.getFileName() + " uses Spark");
    }
  }

  private static void assertUsedOnlyIn(List<String> apis, List<Path> allowed) throws IOException {
    List<String> found = new ArrayList<>();
    int inAllowed = 0;
    for (Path source : sources(MAIN)) {
      String text = Files.readString(source);
      for (String api : apis) {
        if (text.contains(api)) {
          if (allowed.stream().anyMatch(source::startsWith)) {
            inAllowed++;
          } else {
            found.add(MAIN.relativize(source) + " uses " + api);
          }
        }
      }
    }
    assertTrue(found.isEmpty(), apis + " outside " + allowed + ": " + found);
    assertTrue(inAllowed >= 2, "the check sees the allowed packages' own uses: " + inAllowed);
  }
}
