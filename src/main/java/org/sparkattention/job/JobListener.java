package org.sparkattention.job;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Progress for people on stderr (timestamped lines: each phase as it starts, then tasks done of
 * total per Spark stage at most every two seconds, with the elapsed time and, while attention is
 * computed, an ETA from the FLOPs done against the FLOPs planned), and the executors' run time
 * summed over tasks, per phase, for the summary's time split.
 */
final class JobListener extends SparkListener {
  private static final long PRINT_EVERY_NANOS = 2_000_000_000L;

  /** The local property that tags each Spark job with the phase that submitted it. */
  private static final String PHASE_PROPERTY = "spark-attention.phase";

  /** The local property that marks the Spark jobs submitted while work is expected. */
  private static final String WORK_PROPERTY = "spark-attention.expected-work";

  private final SparkContext sc;
  private final PrintStream out;
  private final Instant started;
  private final AtomicLong taskRunMillis = new AtomicLong();

  /**
   * Task run time by phase. Stages are matched to phases through their job's properties: the
   * listener bus delivers events after the fact, when the driver may be in the next phase.
   */
  private final Map<Integer, String> stagePhases = new ConcurrentHashMap<>();

  private final Map<String, AtomicLong> phaseTaskMillis = new ConcurrentHashMap<>();

  /** The stages of jobs submitted while work was expected: only their lines carry the ETA. */
  private final Set<Integer> workStages = ConcurrentHashMap.newKeySet();

  /** Per stage id: its tasks, and how many have ended. */
  private final Map<Integer, Integer> stageTasks = new ConcurrentHashMap<>();

  private final Map<Integer, AtomicInteger> stageDone = new ConcurrentHashMap<>();
  private final AtomicInteger failedTasks = new AtomicInteger();
  private final Set<String> executors = ConcurrentHashMap.newKeySet();
  private volatile String phase = "";
  private volatile long lastPrint;

  /** When it holds at a task's end, that task's stage is cancelled: the run will fail anyway. */
  private volatile BooleanSupplier cancelWhen;

  // The compute stage's work, for the ETA: set by expectWork.
  private volatile double plannedFlops;
  private volatile DoubleSupplier doneFlops;
  private volatile long workStartNanos;

  /** {@code started}: when the run began, for the elapsed time on each line. */
  JobListener(SparkContext sc, PrintStream out, Instant started) {
    this.sc = sc;
    this.out = out;
    this.started = started;
  }

  /**
   * Names what the next Spark jobs this thread submits do: for the progress lines, the Spark UI's
   * job descriptions and the task time per phase.
   */
  void phase(String name) {
    phase = name;
    sc.setLocalProperty(PHASE_PROPERTY, name);
    sc.setJobDescription("spark-attention: " + name);
    print(name + " (elapsed " + duration(elapsedSeconds()) + ")");
  }

  /**
   * From now on, the progress lines of the jobs this thread submits carry an ETA: {@code done}
   * FLOPs so far of {@code planned}; a null {@code done} ends it.
   */
  void expectWork(double planned, DoubleSupplier done) {
    workStartNanos = System.nanoTime();
    plannedFlops = planned;
    doneFlops = done;
    sc.setLocalProperty(WORK_PROPERTY, done == null ? null : "true");
  }

  /** Clears this thread's job tags: the session may go on running other jobs. */
  void done() {
    sc.setLocalProperty(PHASE_PROPERTY, null);
    sc.setLocalProperty(WORK_PROPERTY, null);
    sc.setJobDescription(null);
    doneFlops = null;
  }

  @Override
  public void onJobStart(SparkListenerJobStart event) {
    if (event.properties() == null) {
      return;
    }
    String name = event.properties().getProperty(PHASE_PROPERTY);
    boolean work = event.properties().getProperty(WORK_PROPERTY) != null;
    for (Object stageId : CollectionConverters.asJava(event.stageIds())) {
      if (name != null) {
        stagePhases.put((Integer) stageId, name);
      }
      if (work) {
        workStages.add((Integer) stageId);
      }
    }
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted event) {
    int stage = event.stageInfo().stageId();
    stageTasks.put(stage, event.stageInfo().numTasks());
    stageDone.put(stage, new AtomicInteger());
  }

  /**
   * From now on, cancels the stage of the first task at whose end {@code condition} holds (null:
   * never). Accumulators are merged before the task's end is posted.
   */
  void cancelStageWhen(BooleanSupplier condition) {
    cancelWhen = condition;
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd event) {
    BooleanSupplier cancel = cancelWhen;
    if (cancel != null && cancel.getAsBoolean()) {
      cancelWhen = null;
      sc.cancelStage(event.stageId(), "spark-attention: a bad input row, the run fails");
    }
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
    int done =
        stageDone.computeIfAbsent(event.stageId(), s -> new AtomicInteger()).incrementAndGet();
    int total = stageTasks.getOrDefault(event.stageId(), done);
    long now = System.nanoTime();
    if (done == total || now - lastPrint > PRINT_EVERY_NANOS) {
      lastPrint = now;
      // The phase of the task's own stage: events arrive late, maybe after the next phase began.
      String label = stagePhases.getOrDefault(event.stageId(), phase);
      print(
          String.format(
              Locale.ROOT,
              "%s: stage %d, %d/%d tasks done, elapsed %s%s",
              label,
              event.stageId(),
              done,
              total,
              duration(elapsedSeconds()),
              workStages.contains(event.stageId()) ? eta(now) : ""));
    }
  }

  /**
   * ", ETA m:ss" from the FLOPs done so far, or nothing before there is work done to go by. Only
   * for the expected work's stages: a late event of an earlier stage says nothing of its progress.
   */
  private String eta(long now) {
    DoubleSupplier done = doneFlops;
    double planned = plannedFlops;
    if (done == null || planned <= 0) {
      return "";
    }
    double flops = done.getAsDouble();
    if (flops <= 0) {
      return "";
    }
    double seconds = (now - workStartNanos) / 1e9 * Math.max(0, planned - flops) / flops;
    return String.format(
        Locale.ROOT,
        ", %.0f%% of the attention FLOPs, ETA %s",
        100 * Math.min(1, flops / planned),
        duration(seconds));
  }

  private double elapsedSeconds() {
    return Duration.between(started, Instant.now()).toMillis() / 1000.0;
  }

  private void print(String line) {
    out.println(RunSummary.utc(Instant.now()) + " [spark-attention] " + line);
  }

  /** Seconds as h:mm:ss, or m:ss under an hour. */
  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
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
