package org.sparkattention.commit;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What runs that are no longer alive left beside a dataset (killed, or their host lost): staging
 * directories are removed, an interrupted commit is undone from its journal (or, when it had
 * finished, the data it replaced is removed), and old data set aside by a run without a journal is
 * moved back when its dataset is missing. Nothing that may be the only copy of a dataset is
 * deleted. Every action is reported on the log as a {@code note:} line.
 */
final class StaleRuns {
  private static final String STAGING = "staging-";
  private static final String REPLACED = "replaced-";
  private static final String RUN = "run-";
  private static final String JSON = ".json";

  private StaleRuns() {}

  static void clean(FileSystem fs, Path target, RunOwner self, Configuration conf, PrintStream log)
      throws IOException {
    Path parent = target.getParent();
    if (!fs.exists(parent) || !fs.getFileStatus(parent).isDirectory()) {
      return;
    }
    String prefix = "." + target.getName() + ".";
    Map<String, Long> runs = new TreeMap<>();
    for (FileStatus s : fs.listStatus(parent)) {
      String rest = s.getPath().getName();
      if (!rest.startsWith(prefix)) {
        continue;
      }
      rest = rest.substring(prefix.length());
      String runId = null;
      if (rest.startsWith(STAGING)) {
        runId = rest.substring(STAGING.length());
      } else if (rest.startsWith(REPLACED)) {
        runId = rest.substring(REPLACED.length());
      } else if (rest.startsWith(RUN) && rest.endsWith(JSON)) {
        runId = rest.substring(RUN.length(), rest.length() - JSON.length());
      }
      if (runId != null && !runId.isEmpty() && !runId.equals(self.runId())) {
        runs.merge(runId, s.getModificationTime(), Math::max);
      }
    }
    for (Map.Entry<String, Long> run : runs.entrySet()) {
      cleanRun(fs, target, run.getKey(), run.getValue(), conf, log);
    }
  }

  private static void cleanRun(
      FileSystem fs,
      Path target,
      String runId,
      long lastModified,
      Configuration conf,
      PrintStream log)
      throws IOException {
    Path staging = StagedDataset.sibling(target, STAGING + runId);
    Path aside = StagedDataset.sibling(target, REPLACED + runId);
    Path ownerFile = StagedDataset.sibling(target, RUN + runId + JSON);
    if (!fs.exists(ownerFile)) {
      orphans(fs, target, runId, staging, aside, lastModified, log);
      return;
    }
    RunJournal journal = RunJournal.read(fs, ownerFile);
    if (journal == null || journal.owner() == null) {
      log.println(
          "note: cannot read "
              + ownerFile
              + "; left as it is (remove it by hand if no run owns it)");
      return;
    }
    if (journal.owner().mayBeAlive(fs.getFileStatus(ownerFile).getModificationTime())) {
      return;
    }
    String who = journal.owner().describe() + ", no longer running";
    if (RunJournal.COMMITTING.equals(journal.state())) {
      List<RunJournal.Move> moves = journal.moves();
      for (int i = moves.size() - 1; i >= 0; i--) {
        Path from = new Path(moves.get(i).from());
        Path to = new Path(moves.get(i).to());
        FileSystem moveFs = FileMoves.raw(from.getFileSystem(conf));
        if (moveFs.exists(to) && !moveFs.exists(from)) {
          try {
            FileMoves.rename(moveFs, to, from);
          } catch (IOException e) {
            log.println(
                "note: "
                    + who
                    + ", died committing; moving "
                    + to
                    + " back to "
                    + from
                    + " failed ("
                    + StagedDataset.oneLine(e)
                    + "); its journal "
                    + ownerFile
                    + " is kept for the next run");
            return;
          }
        }
      }
      // Every owner file of the run now says that nothing is left to undo, before anything goes.
      for (String other : journal.ownerFiles() == null ? List.<String>of() : journal.ownerFiles()) {
        Path file = new Path(other);
        FileSystem otherFs = FileMoves.raw(file.getFileSystem(conf));
        if (otherFs.exists(file)) {
          RunJournal.running(journal.owner()).write(otherFs, file);
        }
      }
      log.println("note: " + who + ", died committing; its commit was undone from " + ownerFile);
    }
    boolean committed = RunJournal.COMMITTED.equals(journal.state());
    if (fs.exists(aside) && (committed || !hasFiles(fs, aside))) {
      FileMoves.delete(fs, aside);
    }
    FileMoves.delete(fs, staging);
    FileMoves.delete(fs, ownerFile);
    log.println("note: removed the staging that " + who + ", left beside " + target);
  }

  /** Leftovers without an owner file: from a run of an earlier version, or a half-created one. */
  private static void orphans(
      FileSystem fs,
      Path target,
      String runId,
      Path staging,
      Path aside,
      long lastModified,
      PrintStream log)
      throws IOException {
    if (fs.exists(aside)) {
      if (!fs.exists(target)) {
        FileMoves.rename(fs, aside, target);
        log.println(
            "note: "
                + target
                + " was missing; moved back the data that run "
                + runId
                + " had set aside in "
                + aside);
      } else {
        log.println(
            "note: "
                + aside
                + " holds data that run "
                + runId
                + " replaced; left as it is (remove it by hand when not needed)");
      }
    }
    if (fs.exists(staging)
        && System.currentTimeMillis() - lastModified > RunOwner.STALE_AFTER_MILLIS) {
      FileMoves.delete(fs, staging);
      log.println(
          "note: removed "
              + staging
              + ", staging without an owner untouched for over "
              + RunOwner.STALE_AFTER_MILLIS / 60_000
              + " minutes");
    }
  }

  private static boolean hasFiles(FileSystem fs, Path dir) throws IOException {
    return fs.listFiles(dir, true).hasNext();
  }
}
