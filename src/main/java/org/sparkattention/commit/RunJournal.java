package org.sparkattention.commit;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What a run's owner file ({@code .NAME.run-ID.json} beside each of its datasets) holds: the owner,
 * and from the start of the commit the planned moves, so that the next run can undo the moves of a
 * run that died half-way through its commit, or finish one that died after it.
 *
 * @param state {@link #RUNNING}, {@link #COMMITTING} or {@link #COMMITTED}
 * @param moves the commit's renames in order, as fully qualified paths; empty while running
 * @param ownerFiles every owner file of the run (one per dataset), qualified: once a commit is
 *     undone, all of them are reset, so that no later run undoes it a second time
 */
record RunJournal(RunOwner owner, String state, List<Move> moves, List<String> ownerFiles) {
  static final String RUNNING = "running";
  static final String COMMITTING = "committing";
  static final String COMMITTED = "committed";

  /** One rename of the commit. */
  record Move(String from, String to) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The journal of a run that has not started (or has undone) its commit. */
  static RunJournal running(RunOwner owner) {
    return new RunJournal(owner, RUNNING, List.of(), List.of());
  }

  void write(FileSystem fs, Path file) throws IOException {
    byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
    try (OutputStream out = fs.create(file, true)) {
      out.write(bytes);
    }
  }

  /** The journal in {@code file}, or null when it cannot be parsed. */
  static RunJournal read(FileSystem fs, Path file) {
    try (InputStream in = fs.open(file)) {
      return JSON.readValue(in, RunJournal.class);
    } catch (IOException e) {
      return null;
    }
  }
}
