package org.sparkattention.commit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;

/**
 * Paths as the file system sees them: qualified (scheme, authority, absolute), {@code ..} removed,
 * and symbolic links resolved as far as the path exists, so that two spellings of one directory
 * compare equal; and the check that a run's datasets do not overlap.
 */
public final class DatasetPaths {
  /** Connectors a user may lack, by scheme: what to add to the classpath. */
  private static final Map<String, String> CONNECTORS =
      Map.of(
          "s3a", "org.apache.hadoop:hadoop-aws (the version of your Hadoop) and its AWS SDK bundle",
          "s3", "org.apache.hadoop:hadoop-aws and use an s3a:// URI",
          "s3n", "org.apache.hadoop:hadoop-aws and use an s3a:// URI",
          "gs", "com.google.cloud.bigdataoss:gcs-connector (shaded jar)",
          "abfs", "org.apache.hadoop:hadoop-azure (the version of your Hadoop)",
          "abfss", "org.apache.hadoop:hadoop-azure (the version of your Hadoop)",
          "wasb", "org.apache.hadoop:hadoop-azure (the version of your Hadoop)",
          "wasbs", "org.apache.hadoop:hadoop-azure (the version of your Hadoop)",
          "oss", "org.apache.hadoop:hadoop-aliyun (the version of your Hadoop)");

  /** Whether a run reads a path or writes it: which exit code a problem with it gets. */
  public enum Role {
    INPUT,
    OUTPUT
  }

  private DatasetPaths() {}

  /**
   * The file system of {@code path}, or a user error naming the key, the scheme and the connector
   * jar to add.
   *
   * @param role whether the path is read (a configuration error, exit 2) or written (exit 5)
   */
  public static FileSystem fileSystem(String key, Path path, Configuration conf, Role role) {
    try {
      return path.getFileSystem(conf);
    } catch (IOException | RuntimeException | LinkageError e) {
      String scheme = path.toUri().getScheme();
      String jar = scheme == null ? null : CONNECTORS.get(scheme.toLowerCase(Locale.ROOT));
      throw UserErrors.noFileSystem(
          key,
          String.valueOf(path),
          scheme,
          StagedDataset.oneLine(rootCause(e)),
          jar,
          role == Role.OUTPUT);
    }
  }

  private static Throwable rootCause(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }

  /**
   * {@code path} qualified, normalised, and with symbolic links resolved in its longest existing
   * prefix.
   *
   * @param role see {@link #fileSystem}
   */
  public static Path resolve(String key, String path, Configuration conf, Role role) {
    Path p;
    try {
      p = new Path(path.trim());
    } catch (IllegalArgumentException e) {
      throw UserErrors.invalidPath(key, String.valueOf(path), e.getMessage());
    }
    FileSystem fs = fileSystem(key, p, conf, role);
    Path qualified = fs.makeQualified(p);
    try {
      // The longest prefix that exists, resolved, and the rest appended as it is.
      List<String> rest = new ArrayList<>();
      Path existing = qualified;
      while (existing != null && !fs.exists(existing)) {
        rest.add(0, existing.getName());
        existing = existing.getParent();
      }
      if (existing == null) {
        return qualified;
      }
      Path resolved = realPath(fs, existing);
      for (String name : rest) {
        resolved = new Path(resolved, name);
      }
      return resolved;
    } catch (IOException | RuntimeException e) {
      return qualified; // a file system that cannot resolve: compare as qualified
    }
  }

  private static Path realPath(FileSystem fs, Path existing) throws IOException {
    FileSystem raw = FileMoves.raw(fs);
    if (raw instanceof RawLocalFileSystem local) {
      java.nio.file.Path real = local.pathToFile(existing).toPath().toRealPath();
      // As a plain path: a directory's file URI ends in '/', which would leave the name empty.
      return fs.makeQualified(new Path(null, null, real.toString()));
    }
    return fs.resolvePath(existing);
  }

  /** Whether {@code a} is {@code b} or inside it (same file system, path prefix by component). */
  public static boolean within(Path a, Path b) {
    if (!sameFileSystem(a, b)) {
      return false;
    }
    String pa = a.toUri().getPath();
    String pb = b.toUri().getPath();
    pa = pa.endsWith("/") ? pa : pa + "/";
    pb = pb.endsWith("/") ? pb : pb + "/";
    return pa.startsWith(pb);
  }

  private static boolean sameFileSystem(Path a, Path b) {
    return Objects.equals(lower(a.toUri().getScheme()), lower(b.toUri().getScheme()))
        && Objects.equals(lower(a.toUri().getAuthority()), lower(b.toUri().getAuthority()));
  }

  private static String lower(String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }

  /** A named path of the run, for {@link #requireDisjoint}. */
  public record Named(String key, String given, Path resolved) {}

  /**
   * Refuses overlapping datasets: neither equal nor one inside another.
   *
   * @throws AttentionException (CONFIG) naming both keys and paths
   */
  public static void requireDisjoint(List<Named> paths) {
    for (int i = 0; i < paths.size(); i++) {
      for (int j = i + 1; j < paths.size(); j++) {
        Named a = paths.get(i);
        Named b = paths.get(j);
        String relation =
            within(a.resolved(), b.resolved())
                ? (within(b.resolved(), a.resolved()) ? "the same directory as" : "inside")
                : within(b.resolved(), a.resolved()) ? "a parent of" : null;
        if (relation != null) {
          throw UserErrors.overlappingDatasets(
              a.key(),
              a.given(),
              relation,
              b.key(),
              b.given(),
              String.valueOf(a.resolved()),
              String.valueOf(b.resolved()));
        }
      }
    }
  }
}
