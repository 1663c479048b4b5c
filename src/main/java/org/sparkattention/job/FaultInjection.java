package org.sparkattention.job;

import org.apache.spark.TaskContext;

/**
 * Test-only fault injection, off unless the executor JVM has the system property {@value
 * #FAIL_AFTER_SEQUENCES}=N: then the first attempt of every compute task fails after computing N
 * sequences, so tests can prove that a failed run leaves existing datasets intact and that
 * retried tasks do not duplicate rows. Never set it in production.
 */
final class FaultInjection {
  static final String FAIL_AFTER_SEQUENCES = "sparkattention.test.failAfterSequences";

  private FaultInjection() {}

  static void afterSequence(int sequencesInTask) {
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
