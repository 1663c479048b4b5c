package org.sparkattention.job;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Progress for long runs (tasks done of total, on stderr, at most every two seconds) and the
 * executors' run time summed over tasks, for the summary's time split.
 */
final class JobListener extends SparkListener {
  private static final long PRINT_EVERY_NANOS = 2_000_000_000L;

  private final PrintStream out;
  private final AtomicLong taskRunMillis = new AtomicLong();
  private final AtomicInteger stageTasks = new AtomicInteger();
  private final AtomicInteger stageDone = new AtomicInteger();
  private final AtomicInteger failedTasks = new AtomicInteger();
  private final java.util.Set<String> executors = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile String phase = "reading the input schema";
  private volatile long lastPrint;

  JobListener(PrintStream out) {
    this.out = out;
  }

  /** Names what the next Spark jobs do, for the progress lines. */
  void phase(String name) {
    phase = name;
    out.println("[spark-attention] " + name);
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted event) {
    stageTasks.set(event.stageInfo().numTasks());
    stageDone.set(0);
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd event) {
    if (event.taskMetrics() != null) {
      taskRunMillis.addAndGet(event.taskMetrics().executorRunTime());
    }
    if (event.taskInfo() != null) {
      executors.add(event.taskInfo().executorId());
      if (event.taskInfo().failed()) {
        failedTasks.incrementAndGet();
      }
    }
    int done = stageDone.incrementAndGet();
    int total = stageTasks.get();
    long now = System.nanoTime();
    if (done == total || now - lastPrint > PRINT_EVERY_NANOS) {
      lastPrint = now;
      out.printf("[spark-attention] %s: %d/%d tasks done%n", phase, done, total);
    }
  }

  double taskRunSeconds() {
    return taskRunMillis.get() / 1000.0;
  }

  int failedTasks() {
    return failedTasks.get();
  }

  /** Executor ids that ran at least one task. */
  java.util.Set<String> executors() {
    return java.util.Set.copyOf(executors);
  }
}
