package org.sparkattention.commit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;

/**
 * The one commit of a run: every dataset appears together or none does, and a failure at any step
 * leaves every existing dataset byte for byte as it was.
 *
 * <p>The commit is a list of renames planned before the first one runs: old data the run replaces
 * is moved aside into {@code .NAME.replaced-RUN} (never deleted or copied), then the staged data
 * moved in. The plan goes into the run's owner files first (state {@code committing}); if a rename
 * fails, the renames done so far are undone in reverse order, each moving a path back to where it
 * was a moment before. Once all have run, the owner files say {@code committed} and only then is
 * the replaced data deleted. A run that dies in between leaves its journal, from which the next run
 * on the same path undoes (or finishes) the commit ({@link StaleRuns}).
 */
public final class RunCommit {
  /**
   * Test-only: the commit fails just before its N-th step (0: the journal, 1..n: the renames, n+1:
   * the committed mark). Never set it in production.
   */
  public static final String FAIL_AT_STEP = "attention.test.failCommitAtStep";

  private RunCommit() {}

  /** One planned rename on one file system. */
  record Step(FileSystem fs, Path from, Path to) {
    RunJournal.Move journal() {
      return new RunJournal.Move(
          fs.makeQualified(from).toString(), fs.makeQualified(to).toString());
    }
  }

  /**
   * Commits every dataset of the run at once.
   *
   * @throws AttentionException (OUTPUT) when the commit failed; every dataset is then as it was
   *     (or, if even an undo failed, the message says what is where and the journal lets the next
   *     run finish the roll-back)
   */
  public static void commit(List<StagedDataset> datasets, RunOwner owner) {
    List<Step> steps = new ArrayList<>();
    try {
      for (StagedDataset d : datasets) {
        steps.addAll(plan(d));
      }
    } catch (IOException e) {
      throw failed(datasets, "planning the commit failed: " + StagedDataset.oneLine(e), null);
    }
    List<RunJournal.Move> moves = steps.stream().map(Step::journal).toList();
    int step = 0;
    List<Step> done = new ArrayList<>();
    try {
      faultAt(step++);
      writeJournals(datasets, owner, RunJournal.COMMITTING, moves);
      for (Step s : steps) {
        faultAt(step++);
        FileMoves.rename(s.fs(), s.from(), s.to());
        done.add(s);
      }
      faultAt(step);
      writeJournals(datasets, owner, RunJournal.COMMITTED, moves);
    } catch (IOException | RuntimeException e) {
      String undoFailure = undo(done);
      if (undoFailure == null) {
        try {
          writeJournals(datasets, owner, RunJournal.RUNNING, List.of());
        } catch (IOException ignored) {
          // The journal still says committing; undoing its moves again changes nothing.
        }
      }
      throw failed(datasets, StagedDataset.oneLine(e), undoFailure);
    }
    for (StagedDataset d : datasets) {
      d.finish();
    }
  }

  /** The renames that put {@code d}'s staged data in place, old data first moved aside. */
  static List<Step> plan(StagedDataset d) throws IOException {
    FileSystem fs = d.fs();
    List<Step> steps = new ArrayList<>();
    if (!fs.exists(d.staging())) {
      return steps;
    }
    if (!fs.exists(d.target())) {
      steps.add(new Step(fs, d.staging(), d.target()));
      return steps;
    }
    switch (d.mode()) {
      case ERRORIFEXISTS ->
          throw new IOException(
              d.what()
                  + " '"
                  + d.target()
                  + "' appeared while the job ran (mode is errorifexists)");
      case OVERWRITE -> {
        steps.add(new Step(fs, d.target(), d.aside()));
        steps.add(new Step(fs, d.staging(), d.target()));
      }
      case APPEND -> merge(fs, d.staging(), d.target(), d.aside(), false, steps);
      case OVERWRITE_PARTITIONS -> merge(fs, d.staging(), d.target(), d.aside(), true, steps);
    }
    return steps;
  }

  /**
   * Moves {@code src}'s entries into the existing {@code dst}, what they replace into {@code
   * aside}. With {@code replacePartitions}, a leaf partition directory (one that holds data files)
   * replaces the same directory of {@code dst} whole.
   */
  private static void merge(
      FileSystem fs, Path src, Path dst, Path aside, boolean replacePartitions, List<Step> steps)
      throws IOException {
    for (FileStatus s : fs.listStatus(src)) {
      String name = s.getPath().getName();
      Path to = new Path(dst, name);
      Path away = new Path(aside, name);
      boolean exists = fs.exists(to);
      if (s.isDirectory() && exists && !(replacePartitions && holdsDataFiles(fs, s.getPath()))) {
        merge(fs, s.getPath(), to, away, replacePartitions, steps);
        continue;
      }
      // Part files carry the write job's id and never collide; markers, the summary and replaced
      // partitions do, and the old ones move aside.
      if (exists) {
        steps.add(new Step(fs, to, away));
      }
      steps.add(new Step(fs, s.getPath(), to));
    }
  }

  private static boolean holdsDataFiles(FileSystem fs, Path dir) throws IOException {
    for (FileStatus s : fs.listStatus(dir)) {
      String name = s.getPath().getName();
      if (s.isFile() && !name.startsWith(".") && !name.startsWith("_")) {
        return true;
      }
    }
    return false;
  }

  private static void writeJournals(
      List<StagedDataset> datasets, RunOwner owner, String state, List<RunJournal.Move> moves)
      throws IOException {
    List<String> ownerFiles =
        datasets.stream().map(d -> d.fs().makeQualified(d.ownerFile()).toString()).toList();
    RunJournal journal =
        new RunJournal(
            owner, state, moves, state.equals(RunJournal.RUNNING) ? List.of() : ownerFiles);
    for (StagedDataset d : datasets) {
      journal.write(d.fs(), d.ownerFile());
    }
  }

  /** Undoes {@code done} in reverse order; null when all were undone, else what failed. */
  private static String undo(List<Step> done) {
    for (int i = done.size() - 1; i >= 0; i--) {
      Step s = done.get(i);
      try {
        FileMoves.rename(s.fs(), s.to(), s.from());
      } catch (IOException | RuntimeException e) {
        return "moving '"
            + s.to()
            + "' back to '"
            + s.from()
            + "' failed ("
            + StagedDataset.oneLine(e)
            + ")";
      }
    }
    return null;
  }

  private static AttentionException failed(
      List<StagedDataset> datasets, String cause, String undoFailure) {
    String names =
        String.join(
            ", ", datasets.stream().map(d -> d.what() + " '" + d.targetPath() + "'").toList());
    for (StagedDataset d : datasets) {
      if (undoFailure == null) {
        d.abort();
      } else {
        d.keepForRecovery();
      }
    }
    return UserErrors.commitFailed(names, cause, undoFailure);
  }

  private static void faultAt(int step) throws IOException {
    String at = System.getProperty(FAIL_AT_STEP);
    if (at != null && Integer.parseInt(at) == step) {
      throw new IOException("fault injected by " + FAIL_AT_STEP + " at step " + step);
    }
  }
}
