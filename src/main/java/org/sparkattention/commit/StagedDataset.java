package org.sparkattention.commit;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.security.AccessControlException;
import org.sparkattention.config.WriteMode;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;

/**
 * One dataset a run writes: Spark writes into a hidden staging directory beside the final path
 * ({@code .NAME.staging-RUN}), the run's owner file beside it ({@code .NAME.run-RUN.json}) says
 * which process owns it, and {@link RunCommit} moves every dataset of the run into place at once.
 * Until then an existing dataset is untouched.
 *
 * <p>Modes: {@code errorifexists} (refused before any stage when the path exists), {@code
 * overwrite} (the old dataset is moved aside, the new one moved in, the old one deleted after the
 * commit), {@code append} (the new files are moved into the existing dataset) and {@code
 * overwrite-partitions} (each partition directory this run wrote replaces the same directory, other
 * partitions are left alone).
 */
public final class StagedDataset {
  private final String what;
  private final Path target;
  private final WriteMode mode;
  private final FileSystem fs;
  private final Path staging;
  private final Path aside;
  private final Path ownerFile;

  /** Ancestors of the target that this run created, deepest first: removed again on abort. */
  private final List<Path> createdDirs;

  /** Set when a commit could not be undone: the journal and staging stay for the next run. */
  private volatile boolean keptForRecovery;

  private StagedDataset(
      String what, Path target, WriteMode mode, FileSystem fs, RunOwner owner, List<Path> created) {
    this.what = what;
    this.target = target;
    this.mode = mode;
    this.fs = fs;
    this.staging = sibling(target, "staging-" + owner.runId());
    this.aside = sibling(target, "replaced-" + owner.runId());
    this.ownerFile = sibling(target, "run-" + owner.runId() + ".json");
    this.createdDirs = created;
  }

  /** {@code .NAME.SUFFIX} beside {@code target}. */
  static Path sibling(Path target, String suffix) {
    return new Path(target.getParent(), "." + target.getName() + "." + suffix);
  }

  /**
   * Checks {@code target} for {@code mode} before anything runs, removes what dead runs left beside
   * it, and claims it for {@code owner}: the parent directories are created and the owner file is
   * written, which proves that the run can write there.
   *
   * @param what the configuration key that names the path, for messages
   * @param target the qualified path ({@link DatasetPaths#resolve})
   * @throws AttentionException (OUTPUT) when the dataset exists under errorifexists, is a file, or
   *     its directory cannot be written
   */
  public static StagedDataset prepare(
      String what,
      Path target,
      WriteMode mode,
      Configuration conf,
      RunOwner owner,
      PrintStream log) {
    return open(what, target, mode, conf, owner, log, true);
  }

  /**
   * The checks of {@link #prepare} without changing anything (a dry run): the dataset against
   * {@code mode}, and write permission on the nearest directory that exists. Leftovers of dead runs
   * are not removed; the dataset returned is not claimed and has nothing staged.
   */
  public static StagedDataset inspect(
      String what, Path target, WriteMode mode, Configuration conf, RunOwner owner) {
    return open(what, target, mode, conf, owner, null, false);
  }

  private static StagedDataset open(
      String what,
      Path target,
      WriteMode mode,
      Configuration conf,
      RunOwner owner,
      PrintStream log,
      boolean claim) {
    FileSystem fs =
        FileMoves.raw(DatasetPaths.fileSystem(what, target, conf, DatasetPaths.Role.OUTPUT));
    try {
      if (target.getParent() == null) {
        throw UserErrors.outputIsRoot(what, String.valueOf(target));
      }
      if (claim) {
        // Leftovers first: a dead run's half-done commit may have moved the dataset aside, and
        // whether it exists is only known once that is undone.
        StaleRuns.clean(fs, target, owner, conf, log);
      }
      if (fs.exists(target)) {
        if (mode == WriteMode.ERRORIFEXISTS) {
          throw UserErrors.outputExists(what, String.valueOf(target));
        }
        if (!fs.getFileStatus(target).isDirectory()) {
          throw UserErrors.outputIsFile(what, String.valueOf(target));
        }
      }
      List<Path> created = new ArrayList<>();
      Path dir = target.getParent();
      while (dir != null && !fs.exists(dir)) {
        created.add(dir);
        dir = dir.getParent();
      }
      if (dir != null && !fs.getFileStatus(dir).isDirectory()) {
        throw UserErrors.outputParentIsFile(what, String.valueOf(target), String.valueOf(dir));
      }
      StagedDataset dataset = new StagedDataset(what, target, mode, fs, owner, created);
      if (!claim) {
        requireWritable(what, target, fs, dir);
        return dataset;
      }
      try {
        if (!created.isEmpty() && !fs.mkdirs(target.getParent())) {
          throw new IOException("mkdirs failed");
        }
        RunJournal.running(owner).write(fs, dataset.ownerFile);
      } catch (IOException | RuntimeException e) {
        dataset.abort();
        throw UserErrors.outputNotWritable(
            what, String.valueOf(target), String.valueOf(dataset.ownerFile), oneLine(e));
      }
      return dataset;
    } catch (IOException e) {
      throw UserErrors.outputUncheckable(what, String.valueOf(target), oneLine(e));
    }
  }

  /** A dry run's stand-in for writing the owner file: write permission on {@code dir}. */
  private static void requireWritable(String what, Path target, FileSystem fs, Path dir)
      throws IOException {
    try {
      fs.access(dir, FsAction.WRITE);
    } catch (AccessControlException e) {
      throw UserErrors.outputDirectoryNotWritable(
          what, String.valueOf(target), String.valueOf(dir));
    }
  }

  static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /** Where Spark writes this run's data. */
  public String stagingPath() {
    return staging.toString();
  }

  public String targetPath() {
    return target.toString();
  }

  /** The configuration key that names this dataset. */
  public String what() {
    return what;
  }

  public WriteMode mode() {
    return mode;
  }

  Path target() {
    return target;
  }

  Path staging() {
    return staging;
  }

  Path aside() {
    return aside;
  }

  Path ownerFile() {
    return ownerFile;
  }

  FileSystem fs() {
    return fs;
  }

  /** Whether a dataset is at the target path now. */
  public boolean targetExists() {
    try {
      return fs.exists(target);
    } catch (IOException e) {
      throw new UncheckedIOException("checking " + target, e);
    }
  }

  /**
   * The partition columns of the existing dataset, as its directories name them ({@code col=value},
   * first directory at each level), or null when it has no data file.
   */
  public List<String> existingPartitionColumns() {
    try {
      List<String> columns = new ArrayList<>();
      Path dir = target;
      while (true) {
        Path next = null;
        boolean hasFile = false;
        for (FileStatus s : fs.listStatus(dir)) {
          String name = s.getPath().getName();
          if (name.startsWith("_") || name.startsWith(".")) {
            continue;
          }
          if (s.isFile()) {
            hasFile = true;
          } else if (next == null && name.contains("=")) {
            next = s.getPath();
          }
        }
        if (hasFile) {
          return columns;
        }
        if (next == null) {
          return null;
        }
        String name = next.getName();
        columns.add(unescape(name.substring(0, name.indexOf('='))));
        dir = next;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("listing " + target, e);
    }
  }

  /** A path name as Spark escapes it ({@code %XX} for reserved characters), unescaped. */
  static String unescape(String name) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '%' && i + 2 < name.length()) {
        try {
          sb.append((char) Integer.parseInt(name.substring(i + 1, i + 3), 16));
          i += 2;
          continue;
        } catch (NumberFormatException e) {
          // not an escape: kept as it is
        }
      }
      sb.append(c);
    }
    return sb.toString();
  }

  /** Whether the staging directory holds any data file (not a marker or hidden file). */
  public boolean hasDataFiles() {
    try {
      if (!fs.exists(staging)) {
        return false;
      }
      RemoteIterator<LocatedFileStatus> files = fs.listFiles(staging, true);
      while (files.hasNext()) {
        String name = files.next().getPath().getName();
        if (!name.startsWith("_") && !name.startsWith(".")) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("listing " + staging, e);
    }
  }

  /**
   * Moves the files named {@code prefix}... that a write left in {@code other}'s staging into this
   * dataset's staging, at the same relative paths without the prefix, and marks it complete as
   * Spark's write would ({@code _SUCCESS}). Across file systems the files are copied.
   */
  public void takeFiles(StagedDataset other, String prefix) {
    try {
      fs.mkdirs(staging);
      RemoteIterator<LocatedFileStatus> files = other.fs.listFiles(other.staging, true);
      List<Path> taken = new ArrayList<>();
      while (files.hasNext()) {
        Path file = files.next().getPath();
        String name = file.getName();
        // A checksum side file of a taken file is named .PREFIX...crc
        String bare = name.startsWith(".") ? name.substring(1) : name;
        if (bare.startsWith(prefix)) {
          taken.add(file);
        }
      }
      for (Path file : taken) {
        String name = file.getName();
        String newName =
            name.startsWith(".")
                ? "." + name.substring(1 + prefix.length())
                : name.substring(prefix.length());
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
        Path to = new Path(toDir, newName);
        if (fs.getUri().equals(other.fs.getUri())) {
          FileMoves.rename(fs, file, to);
        } else if (!FileUtil.copy(other.fs, file, fs, to, true, fs.getConf())) {
          throw new IOException("copy " + file + " -> " + to + " failed");
        }
      }
      fs.create(new Path(staging, "_SUCCESS"), true).close();
    } catch (IOException e) {
      throw new UncheckedIOException("moving " + what + " files from " + other.staging, e);
    }
  }

  /** Writes {@code bytes} as {@code name} at the top of the staging directory. */
  public void writeStagedFile(String name, byte[] bytes) {
    try (var out = fs.create(new Path(staging, name), true)) {
      out.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + name + " to " + staging, e);
    }
  }

  /** Updates the owner file's time, so that other hosts see this run alive. */
  public void heartbeat() {
    try {
      fs.setTimes(ownerFile, System.currentTimeMillis(), -1);
    } catch (IOException | RuntimeException e) {
      // A missed heartbeat only risks being taken for dead after STALE_AFTER_MILLIS.
    }
  }

  /**
   * Removes everything this run put beside the target: staging, owner file, and the parent
   * directories it created (when empty). The target is untouched. Best effort: a hidden leftover is
   * ignored by readers and removed by a later run.
   */
  public void abort() {
    if (keptForRecovery) {
      return;
    }
    FileMoves.delete(fs, staging);
    if (!holdsFiles(aside)) {
      FileMoves.delete(fs, aside); // the empty directories an undone commit made
    }
    FileMoves.delete(fs, ownerFile);
    for (Path dir : createdDirs) {
      try {
        FileStatus[] left = fs.listStatus(dir);
        if (left.length == 0) {
          fs.delete(dir, false);
        }
      } catch (IOException e) {
        break;
      }
    }
  }

  /** Keeps staging, replaced data and journal as they are, for the next run to restore. */
  void keepForRecovery() {
    keptForRecovery = true;
  }

  private boolean holdsFiles(Path dir) {
    try {
      return fs.exists(dir) && fs.listFiles(dir, true).hasNext();
    } catch (IOException e) {
      return true;
    }
  }

  /** After a successful commit: the replaced data, the emptied staging and the owner file go. */
  void finish() {
    FileMoves.delete(fs, aside);
    FileMoves.delete(fs, staging);
    FileMoves.delete(fs, ownerFile);
  }
}
