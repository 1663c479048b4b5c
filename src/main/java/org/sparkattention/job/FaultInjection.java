package org.sparkattention.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.TaskContext;

/**
 * Test-only hooks, off unless the executor JVM has one of these system properties (not named {@code
 * spark.*}: Spark refuses those in {@code spark.executor.extraJavaOptions}); never set them in
 * production.
 *
 * <ul>
 *   <li>{@value #FAIL_AFTER_SEQUENCES}=N: the first attempt of every compute task fails after
 *       computing N sequences, so tests can prove that a failed run leaves existing datasets intact
 *       and that retried tasks do not duplicate rows.
 *   <li>{@value #COMPUTING_MARKER_DIR}=DIR: an executor computing its first sequence of a task
 *       creates the file DIR/PID, so a test can kill an executor JVM that is surely mid-task.
 *   <li>{@value #SLEEP_PER_SEQUENCE_MILLIS}=MS: every sequence takes MS longer, so that a test can
 *       signal a run that is surely mid-compute.
 * </ul>
 */
final class FaultInjection {
  static final String FAIL_AFTER_SEQUENCES = "attention.test.failAfterSequences";
  static final String COMPUTING_MARKER_DIR = "attention.test.computingMarkerDir";
  static final String SLEEP_PER_SEQUENCE_MILLIS = "attention.test.sleepPerSequenceMillis";

  private FaultInjection() {}

  static void afterSequence(int sequencesInTask) {
    String markerDir = System.getProperty(COMPUTING_MARKER_DIR);
    if (markerDir != null && sequencesInTask == 1) {
      try {
        Files.writeString(
            Path.of(markerDir, Long.toString(ProcessHandle.current().pid())), "computing");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    String sleep = System.getProperty(SLEEP_PER_SEQUENCE_MILLIS);
    if (sleep != null) {
      try {
        Thread.sleep(Long.parseLong(sleep));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    String limit = System.getProperty(FAIL_AFTER_SEQUENCES);
    if (limit == null) {
      return;
    }
    TaskContext task = TaskContext.get();
    if (sequencesInTask >= Integer.parseInt(limit) && task != null && task.attemptNumber() == 0) {
      throw new IllegalStateException(
          "fault injected by " + FAIL_AFTER_SEQUENCES + " after " + sequencesInTask + " sequences");
    }
  }
}
