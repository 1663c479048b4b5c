package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;
import org.sparkattention.SparkTest;

/** The task time per phase behind the summary's wall split, on a real local session. */
@SparkTest
class JobListenerTest {
  @Test
  void tasksCountTowardsThePhaseThatSubmittedTheirJob() throws Exception {
    SparkContext sc = SparkTestSession.get().sparkContext();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    JobListener listener =
        new JobListener(sc, new PrintStream(progress, true, StandardCharsets.UTF_8), Instant.now());
    // Listeners of a queue hear each event in turn: this one makes every task's end reach the
    // listener under test late, after the driver has moved on to the next phase, as in busy runs.
    SparkListener slow =
        new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd event) {
            try {
              Thread.sleep(300);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    sc.addSparkListener(slow);
    sc.addSparkListener(listener);
    try {
      listener.phase("scan");
      jsc.parallelize(List.of(300, 300), 2).foreach(Thread::sleep);
      listener.phase("run");
      jsc.parallelize(List.of(600), 1).foreach(Thread::sleep);
      listener.phase("other");
      listener.expectWork(100, () -> 50);
      jsc.parallelize(List.of(0), 1).count();

      // Task-end events reach listeners asynchronously: wait until the last one is in.
      long deadline = System.currentTimeMillis() + 10_000;
      while (!progress.toString(StandardCharsets.UTF_8).contains("] other: stage ")
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      double scan = listener.taskRunSeconds(List.of("scan"));
      double run = listener.taskRunSeconds(List.of("run"));
      assertTrue(scan >= 0.6 && scan < 1.2, "scan phase: two tasks of 0.3 s, got " + scan);
      assertTrue(run >= 0.6 && run < 1.2, "run phase: one task of 0.6 s, got " + run);
      assertEquals(
          scan + run, listener.taskRunSeconds(List.of("scan", "run")), 1e-9, "phases add up");
      assertEquals(0.0, listener.taskRunSeconds(List.of("never")), "a phase without jobs");
      String lines = progress.toString(StandardCharsets.UTF_8);
      // Timestamped, by phase and stage, with the elapsed time; each stage counts on its own.
      assertTrue(
          lines.matches(
              "(?s).*\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\[spark-attention\\] run:"
                  + " stage \\d+, 1/1 tasks done, elapsed \\d+:\\d\\d\n.*"),
          lines);
      assertTrue(lines.contains("scan: stage ") && lines.contains(", 2/2 tasks done"), lines);
      assertTrue(lines.contains("] scan (elapsed 0:"), "a phase line as it starts: " + lines);
      assertTrue(
          lines.matches("(?s).*other: .*, 50% of the attention FLOPs, ETA \\d+:\\d\\d\n.*"),
          "an ETA once work is expected: " + lines);
      assertFalse(
          lines.lines().anyMatch(l -> l.matches(".*(scan|run): .*ETA.*")),
          "no ETA for the stages of jobs submitted before the work was expected: " + lines);
    } finally {
      listener.done();
      sc.removeSparkListener(listener);
      sc.removeSparkListener(slow);
    }
    assertNull(sc.getLocalProperty("spark.job.description"), "the job description is cleared");
  }

  @Test
  void aConditionMetAtATasksEndCancelsItsStage() {
    SparkContext sc = SparkTestSession.get().sparkContext();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
    JobListener listener =
        new JobListener(
            sc,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            Instant.now());
    LongAccumulator found = sc.longAccumulator("found");
    LongAccumulator ran = sc.longAccumulator("ran");
    sc.addSparkListener(listener);
    try {
      listener.cancelStageWhen(() -> found.value() > 0);
      // Task 0 finds something at once; the other 39 take 100 ms each on two cores.
      Exception e =
          assertThrows(
              Exception.class,
              () ->
                  jsc.parallelize(java.util.stream.IntStream.range(0, 40).boxed().toList(), 40)
                      .foreach(
                          i -> {
                            if (i == 0) {
                              found.add(1);
                            } else {
                              Thread.sleep(100);
                              ran.add(1);
                            }
                          }));
      assertTrue(String.valueOf(e.getMessage()).contains("cancelled"), e.getMessage());
      assertTrue(ran.value() < 20, "the stage stopped early: " + ran.value() + " tasks ran");
      listener.cancelStageWhen(null);
      assertEquals(3, jsc.parallelize(List.of(1, 2, 3), 3).count(), "later jobs run");
    } finally {
      listener.done();
      sc.removeSparkListener(listener);
    }
  }

  @Test
  void durationsReadAsClockTimes() {
    assertEquals("0:07", JobListener.duration(7.4));
    assertEquals("2:05", JobListener.duration(125));
    assertEquals("1:01:01", JobListener.duration(3661));
  }
}
