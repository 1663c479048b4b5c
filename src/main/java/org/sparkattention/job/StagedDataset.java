package org.sparkattention.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.sparkattention.errors.AttentionException;

/**
 * One dataset the job writes, with a commit that never leaves it half-written: Spark writes into
 * a hidden staging directory beside the final path, and only when every dataset of the run is
 * complete is the staging directory moved into place by renames. Until then an existing dataset
 * is untouched; on failure the staging directory is deleted.
 *
 * <p>Modes: {@code errorifexists} (refused before any stage when the path exists), {@code
 * overwrite} (the old dataset is moved aside, the new one moved in, then the old one deleted),
 * {@code append} (the new files are moved into the existing dataset) and {@code
 * overwrite-partitions} (each partition directory this run wrote replaces the same directory,
 * other partitions are left alone).
 */
public final class StagedDataset {
  private final String what;
  private final Path target;
  private final Path staging;
  private final String mode;
  private final FileSystem fs;

  private StagedDataset(String what, Path target, String mode, FileSystem fs) {
    this.what = what;
    this.target = target;
    this.mode = mode;
    this.fs = fs;
    this.staging =
        new Path(target.getParent(), "." + target.getName() + ".staging-" + UUID.randomUUID());
  }

  /**
   * Checks {@code path} for {@code mode} before anything runs.
   *
   * @param what the configuration key that names the path, for messages
   * @throws AttentionException (OUTPUT) when the dataset exists under errorifexists
   */
  public static StagedDataset prepare(String what, String path, String mode, Configuration conf) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(conf);
      Path target = fs.makeQualified(p);
      if (target.getParent() == null) {
        throw new AttentionException(
            AttentionException.Kind.OUTPUT,
            what + " '" + path + "' is a file-system root; give a dataset directory below it.");
      }
      if (fs.exists(target)) {
        if (mode.equals("errorifexists")) {
          throw new AttentionException(
              AttentionException.Kind.OUTPUT,
              what
                  + " '"
                  + path
                  + "' already exists and mode is errorifexists. Choose another path, or set"
                  + " mode to overwrite, append or overwrite-partitions.");
        }
        if (!fs.getFileStatus(target).isDirectory()) {
          throw new AttentionException(
              AttentionException.Kind.OUTPUT,
              what + " '" + path + "' exists and is a file, not a dataset directory.");
        }
      }
      return new StagedDataset(what, target, mode, fs);
    } catch (IOException e) {
      throw new AttentionException(
          AttentionException.Kind.OUTPUT, "cannot check " + what + " '" + path + "': " + e, e);
    }
  }

  /** Where Spark writes this run's data. */
  public String stagingPath() {
    return staging.toString();
  }

  public String targetPath() {
    return target.toString();
  }

  /**
   * Moves the files named {@code prefix}... that a write left in {@code other}'s staging into
   * this dataset's staging, at the same relative paths without the prefix, and marks it complete
   * as Spark's write would ({@code _SUCCESS}). Across file systems the files are copied.
   */
  public void takeFiles(StagedDataset other, String prefix) {
    try {
      fs.mkdirs(staging);
      RemoteIterator<LocatedFileStatus> files = other.fs.listFiles(other.staging, true);
      while (files.hasNext()) {
        Path file = files.next().getPath();
        String name = file.getName();
        if (!name.startsWith(prefix)) {
          continue;
        }
        // The same partition directories (names as written, escapes included) below staging.
        Deque<String> dirs = new ArrayDeque<>();
        Path dir = file.getParent();
        for (int i = dir.depth() - other.staging.depth(); i > 0; i--) {
          dirs.push(dir.getName());
          dir = dir.getParent();
        }
        Path toDir = staging;
        for (String d : dirs) {
          toDir = new Path(toDir, d);
        }
        Path to = new Path(toDir, name.substring(prefix.length()));
        fs.mkdirs(toDir);
        if (sameFileSystem(other)) {
          rename(file, to);
        } else if (!FileUtil.copy(other.fs, file, fs, to, true, fs.getConf())) {
          throw new IOException("copy " + file + " -> " + to + " failed");
        }
      }
      fs.create(new Path(staging, "_SUCCESS"), true).close();
    } catch (IOException e) {
      throw new UncheckedIOException("moving " + what + " files from " + other.staging, e);
    }
  }

  private boolean sameFileSystem(StagedDataset other) {
    return fs.getUri().equals(other.fs.getUri());
  }

  /** Moves the staged data into place according to the mode. */
  public void commit() {
    try {
      if (!fs.exists(staging)) {
        return;
      }
      if (!fs.exists(target)) {
        fs.mkdirs(target.getParent());
        rename(staging, target);
        return;
      }
      switch (mode) {
        case "errorifexists" ->
            throw new AttentionException(
                AttentionException.Kind.OUTPUT,
                what + " '" + target + "' appeared while the job ran; this run's data were not"
                    + " moved there.");
        case "overwrite" -> replace(staging, target);
        case "append" -> moveFiles(staging, target, false);
        case "overwrite-partitions" -> moveFiles(staging, target, true);
        default -> throw new IllegalStateException("mode " + mode);
      }
      fs.delete(staging, true);
    } catch (IOException e) {
      throw new UncheckedIOException("committing " + what + " to " + target, e);
    }
  }

  /** Deletes the staging directory; the target is untouched. */
  public void abort() {
    try {
      fs.delete(staging, true);
    } catch (IOException e) {
      // Best effort: a hidden staging directory left behind is ignored by readers.
    }
  }

  /** Replaces dst with src: dst moved aside, src moved in, the old dst deleted last. */
  private void replace(Path src, Path dst) throws IOException {
    Path aside = new Path(dst.getParent(), "." + dst.getName() + ".replaced-" + UUID.randomUUID());
    rename(dst, aside);
    try {
      rename(src, dst);
    } catch (IOException e) {
      fs.rename(aside, dst);
      throw e;
    }
    fs.delete(aside, true);
  }

  /**
   * Moves the staged files into the existing dataset. With {@code replacePartitions}, each leaf
   * partition directory (one holding data files) replaces the same directory of the target.
   */
  private void moveFiles(Path src, Path dst, boolean replacePartitions) throws IOException {
    for (FileStatus s : fs.listStatus(src)) {
      Path to = new Path(dst, s.getPath().getName());
      if (s.isDirectory()) {
        if (replacePartitions && holdsFiles(s.getPath()) && fs.exists(to)) {
          replace(s.getPath(), to);
        } else if (!fs.exists(to)) {
          rename(s.getPath(), to);
        } else {
          moveFiles(s.getPath(), to, replacePartitions);
        }
      } else {
        // Part files carry the write job's id, so they never collide; markers are replaced.
        if (fs.exists(to)) {
          fs.delete(to, false);
        }
        rename(s.getPath(), to);
      }
    }
  }

  private boolean holdsFiles(Path dir) throws IOException {
    for (FileStatus s : fs.listStatus(dir)) {
      if (s.isFile() && !s.getPath().getName().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private void rename(Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("rename " + from + " -> " + to + " failed");
    }
  }
}
