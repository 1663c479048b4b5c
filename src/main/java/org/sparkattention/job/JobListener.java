package org.sparkattention.job;

import java.io.PrintStream;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Progress for long runs (tasks done of total, on stderr, at most every two seconds) and the
 * executors' run time summed over tasks, per phase, for the summary's time split.
 */
final class JobListener extends SparkListener {
  private static final long PRINT_EVERY_NANOS = 2_000_000_000L;

  /** The local property that tags each Spark job with the phase that submitted it. */
  private static final String PHASE_PROPERTY = "spark-attention.phase";

  private final SparkContext sc;
  private final PrintStream out;
  private final AtomicLong taskRunMillis = new AtomicLong();

  /**
   * Task run time by phase. Stages are matched to phases through their job's properties: the
   * listener bus delivers events after the fact, when the driver may be in the next phase.
   */
  private final Map<Integer, String> stagePhases = new ConcurrentHashMap<>();

  private final Map<String, AtomicLong> phaseTaskMillis = new ConcurrentHashMap<>();
  private final AtomicInteger stageTasks = new AtomicInteger();
  private final AtomicInteger stageDone = new AtomicInteger();
  private final AtomicInteger failedTasks = new AtomicInteger();
  private final Set<String> executors = ConcurrentHashMap.newKeySet();
  private volatile String phase = "reading the input schema";
  private volatile long lastPrint;

  JobListener(SparkContext sc, PrintStream out) {
    this.sc = sc;
    this.out = out;
  }

  /**
   * Names what the next Spark jobs this thread submits do: for the progress lines, the Spark UI's
   * job descriptions and the task time per phase.
   */
  void phase(String name) {
    phase = name;
    sc.setLocalProperty(PHASE_PROPERTY, name);
    sc.setJobDescription("spark-attention: " + name);
    out.println("[spark-attention] " + name);
  }

  /** Clears this thread's job tags: the session may go on running other jobs. */
  void done() {
    sc.setLocalProperty(PHASE_PROPERTY, null);
    sc.setJobDescription(null);
  }

  @Override
  public void onJobStart(SparkListenerJobStart event) {
    String name =
        event.properties() == null ? null : event.properties().getProperty(PHASE_PROPERTY);
    if (name != null) {
      for (Object stageId : CollectionConverters.asJava(event.stageIds())) {
        stagePhases.put((Integer) stageId, name);
      }
    }
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted event) {
    stageTasks.set(event.stageInfo().numTasks());
    stageDone.set(0);
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd event) {
    if (event.taskMetrics() != null) {
      long millis = event.taskMetrics().executorRunTime();
      taskRunMillis.addAndGet(millis);
      String name = stagePhases.get(event.stageId());
      if (name != null) {
        phaseTaskMillis.computeIfAbsent(name, n -> new AtomicLong()).addAndGet(millis);
      }
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
      // The phase of the task's own stage: events arrive late, maybe after the next phase began.
      String label = stagePhases.getOrDefault(event.stageId(), phase);
      out.printf("[spark-attention] %s: %d/%d tasks done%n", label, done, total);
    }
  }

  /** Executor run time of every task seen, in seconds. */
  double taskRunSeconds() {
    return taskRunMillis.get() / 1000.0;
  }

  /** Executor run time of the tasks of these phases' jobs, in seconds. */
  double taskRunSeconds(Collection<String> phases) {
    long millis = 0;
    for (String name : phases) {
      AtomicLong m = phaseTaskMillis.get(name);
      millis += m == null ? 0 : m.get();
    }
    return millis / 1000.0;
  }

  int failedTasks() {
    return failedTasks.get();
  }

  /** Executor ids that ran at least one task. */
  Set<String> executors() {
    return Set.copyOf(executors);
  }
}
