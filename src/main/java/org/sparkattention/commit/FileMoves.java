package org.sparkattention.commit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Renames that either happen whole or not at all. Hadoop's local file system falls back to
 * copy-then-delete when a rename fails, which empties the source of a failed move (a directory made
 * immutable keeps only what could not be deleted): here a local rename is one {@code rename(2)}
 * (NIO's atomic move), and a rename onto an existing path is refused instead of moving inside it.
 */
final class FileMoves {
  private FileMoves() {}

  /**
   * The file system that lists and moves files as they are: on a checksummed local file system, its
   * raw one, so that {@code .crc} side files are ordinary files that move with their data.
   */
  static FileSystem raw(FileSystem fs) {
    return fs instanceof ChecksumFileSystem c ? c.getRawFileSystem() : fs;
  }

  /**
   * Moves {@code from} to {@code to}, creating {@code to}'s parent directories.
   *
   * @throws IOException when {@code to} exists or the rename fails; {@code from} is then unchanged
   */
  static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (fs.exists(to)) {
      throw new IOException("cannot move " + from + " to " + to + ": the destination exists");
    }
    Path parent = to.getParent();
    if (parent != null && !fs.exists(parent) && !fs.mkdirs(parent)) {
      throw new IOException("cannot create directory " + parent);
    }
    if (fs instanceof RawLocalFileSystem local) {
      Files.move(
          local.pathToFile(from).toPath(),
          local.pathToFile(to).toPath(),
          StandardCopyOption.ATOMIC_MOVE);
    } else if (!fs.rename(from, to)) {
      throw new IOException("rename " + from + " -> " + to + " failed");
    }
  }

  /** Deletes {@code path} recursively; true when it no longer exists. */
  static boolean delete(FileSystem fs, Path path) {
    try {
      return fs.delete(path, true) || !fs.exists(path);
    } catch (IOException e) {
      return false;
    }
  }
}
