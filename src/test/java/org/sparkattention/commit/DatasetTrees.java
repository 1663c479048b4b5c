package org.sparkattention.commit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Test fixtures: every file under a directory with its bytes, and a small dataset maker. */
public final class DatasetTrees {
  private DatasetTrees() {}

  /** Relative path to content of every file and directory under {@code root}, hidden ones too. */
  public static Map<String, String> snapshot(Path root) {
    Map<String, String> m = new TreeMap<>();
    if (!Files.exists(root)) {
      return m;
    }
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        String rel = root.relativize(p).toString();
        m.put(
            rel,
            Files.isDirectory(p)
                ? "<dir>"
                : java.util.HexFormat.of().formatHex(Files.readAllBytes(p)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return m;
  }

  /** Writes {@code files} (relative path to text) under {@code root}. */
  public static void write(Path root, Map<String, String> files) {
    try {
      for (Map.Entry<String, String> f : files.entrySet()) {
        Path p = root.resolve(f.getKey());
        Files.createDirectories(p.getParent());
        Files.writeString(p, f.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
