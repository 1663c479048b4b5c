package org.sparkattention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The layout is the architecture: the kernel stays free of Spark SQL, files and configuration. */
class ArchitectureTest {
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

  @Test
  void kernelImportsNeitherSparkSqlNorIoNorConfig() throws IOException {
    Path kernel = Path.of("src/main/java/org/sparkattention/kernel");
    List<Path> sources;
    try (Stream<Path> files = Files.list(kernel)) {
      sources = files.filter(p -> p.toString().endsWith(".java")).toList();
    }
    assertTrue(sources.size() >= 5, "kernel sources found");
    for (Path source : sources) {
      for (String line : Files.readAllLines(source)) {
        for (String forbidden : FORBIDDEN_IN_KERNEL) {
          assertTrue(!line.startsWith(forbidden), source.getFileName() + ": " + line);
        }
      }
    }
  }
}
