package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.sparkattention.kernel.CostModel;

/**
 * The cost balancer from partition summaries: balanced tasks, every good row routed once, bad rows
 * never, deterministic, and planning memory that does not grow with the rows.
 */
class CostPlanTest {

  /** The scan's summaries of these rows (per partition, per row: cost, or negative for bad). */
  static List<PartitionSummary> summaries(double[][] costs) {
    List<PartitionSummary> out = new ArrayList<>();
    for (int p = 0; p < costs.length; p++) {
      PartitionSummary s = new PartitionSummary(p);
      for (int r = 0; r < costs[p].length; r++) {
        if (costs[p][r] < 0) {
          s.addBad("row " + r, "bad");
        } else {
          s.addGood(r, costs[p][r], 1, 1);
        }
      }
      out.add(s.finish());
    }
    return out;
  }

  /** Routes every good row as the routing pass does; the tasks' actual loads. */
  static double[] route(CostPlan plan, double[][] costs, int[][] taskOf) {
    double[] load = new double[plan.tasks()];
    for (int p = 0; p < costs.length; p++) {
      CostPlan.Router router = plan.router(p);
      for (int r = 0; r < costs[p].length; r++) {
        if (costs[p][r] >= 0) {
          int t = router.taskOf(r, costs[p][r]);
          assertTrue(t >= 0 && t < plan.tasks(), "placed on a real task");
          load[t] += costs[p][r];
          if (taskOf != null) {
            taskOf[p][r] = t;
          }
        }
      }
    }
    return load;
  }

  /** Every good row placed; each task's load its planned cost to within one light row. */
  private static double[] assertPlanHolds(CostPlan plan, double[][] costs) {
    double[] load = route(plan, costs, null);
    double total = Arrays.stream(load).sum();
    double expected =
        Arrays.stream(costs).flatMapToDouble(Arrays::stream).filter(c -> c >= 0).sum();
    assertEquals(expected, total, 1e-9 * expected, "every good row once");
    double mean = expected / plan.tasks();
    double largestLight =
        Arrays.stream(costs)
            .flatMapToDouble(Arrays::stream)
            .filter(c -> c >= 0 && c <= CostPlan.HEAVY_SHARE * mean)
            .max()
            .orElse(0);
    double[] planned = plan.taskCosts();
    for (int t = 0; t < load.length; t++) {
      assertTrue(
          Math.abs(load[t] - planned[t]) <= largestLight * (1 + 1e-9) + 1e-6 * mean,
          "task " + t + ": " + load[t] + " against planned " + planned[t]);
    }
    return load;
  }

  private static double balance(double[] load) {
    double mean = Arrays.stream(load).average().orElse(0);
    return Arrays.stream(load).max().orElse(0) / mean;
  }

  @Test
  void manyEqualRowsBalancePerfectly() {
    double[][] costs = {new double[100], new double[60]};
    Arrays.fill(costs[0], 1e9);
    Arrays.fill(costs[1], 1e9);
    CostPlan plan = CostPlan.plan(summaries(costs), 4, 8);
    assertEquals(8, plan.tasks());
    assertEquals(1.0, balance(assertPlanHolds(plan, costs)), 1e-12);
  }

  @Test
  void oneLongSequenceAmongManyShortOnes() {
    // One sequence of L = 4096 and 5000 of L = 32, E = 256 (costs as the kernel counts them).
    CostModel model = new CostModel(256, 256, 256, 0, false);
    double big = model.flops(4096, 4096, false);
    double small = model.flops(32, 32, false);
    double[][] costs = new double[4][];
    Random rnd = new Random(1);
    for (int p = 0; p < 4; p++) {
      costs[p] = new double[1250];
      for (int r = 0; r < costs[p].length; r++) {
        costs[p][r] = small * (0.5 + rnd.nextDouble());
      }
    }
    costs[2][17] = big;
    CostPlan plan = CostPlan.plan(summaries(costs), 2, null);
    int[][] taskOf = new int[4][1250];
    double[] load = route(plan, costs, taskOf);
    assertPlanHolds(plan, costs);
    assertTrue(plan.tasks() >= 2, "all slots used");
    assertTrue(balance(load) <= CostPlan.BALANCE_GOAL, "balance " + balance(load));
    // Row counts per task are far from equal: balance is by cost, not rows.
    int bigTask = taskOf[2][17];
    int rowsOnBigTask = 0;
    for (int[] p : taskOf) {
      for (int t : p) {
        rowsOnBigTask += t == bigTask ? 1 : 0;
      }
    }
    assertTrue(rowsOnBigTask < 5000 / plan.tasks(), "the long sequence's task has fewer rows");
  }

  @Test
  void heavyRowsGoLongestFirstOnTheLeastLoadedTask() {
    // Three heavy rows in two partitions and light ones: each heavy row gets a task of its own.
    double[][] costs = {{50e9, 1e9, 1e9, 40e9}, {1e9, 30e9, 1e9, 1e9}};
    CostPlan plan = CostPlan.plan(summaries(costs), 3, 3);
    int[][] taskOf = {new int[4], new int[4]};
    route(plan, costs, taskOf);
    assertEquals(3, List.of(taskOf[0][0], taskOf[0][3], taskOf[1][1]).stream().distinct().count());
    assertEquals(0, taskOf[0][0], "the longest first, on task 0");
    assertPlanHolds(plan, costs);
  }

  @Test
  void heavyRowsBeyondThoseKeptPerPartitionAreRoutedAsLightOnes() {
    double[][] costs = {new double[PartitionSummary.TOP_ROWS + 8]};
    Arrays.fill(costs[0], 10e9);
    costs[0][3] = 1e9;
    CostPlan plan = CostPlan.plan(summaries(costs), 4, 4);
    double[] load = route(plan, costs, null);
    assertEquals(Arrays.stream(costs[0]).sum(), Arrays.stream(load).sum(), 1e3);
  }

  @Test
  void dominantRowLimitsTheTaskCountInsteadOfIdleTasks() {
    double[][] costs = {{90e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9}};
    CostPlan plan = CostPlan.plan(summaries(costs), 2, null);
    assertEquals(2, plan.tasks(), "one task for the big row, one for the rest");
    int[][] taskOf = {new int[11]};
    route(plan, costs, taskOf);
    for (int r = 1; r < 11; r++) {
      assertTrue(taskOf[0][r] != taskOf[0][0], "the light rows beside, not with, the big one");
    }
  }

  @Test
  void badRowsAreSkippedAndPartitionsOverrideIsHonoured() {
    double[][] costs = {{1e9, -1, 2e9}, {-1}, {3e9, 4e9}};
    List<PartitionSummary> summaries = summaries(costs);
    assertEquals(1, summaries.get(0).badRows());
    assertEquals("row 1", summaries.get(0).firstBad().get(0)[0]);
    CostPlan plan = CostPlan.plan(summaries, 2, 7);
    assertEquals(7, plan.tasks());
    assertPlanHolds(plan, costs);
  }

  @Test
  void taskCountGrowsWithTotalCostInWholeWaves() {
    assertEquals(2, CostPlan.chooseTasks(1000, 1e9, 1e6, 2));
    assertEquals(10, CostPlan.chooseTasks(1000, 10 * CostPlan.TARGET_TASK_FLOPS - 1, 1e6, 2));
    assertEquals(3, CostPlan.chooseTasks(3, 1e15, 4e14, 8), "never more tasks than rows");
    assertEquals(1, CostPlan.chooseTasks(0, 0, 0, 4));
  }

  @Test
  void planIsDeterministic() {
    double[][] costs = {{5, 5, 5, 3, 3}, {5, 1, 1, 1}};
    int[][] a = {new int[5], new int[4]};
    int[][] b = {new int[5], new int[4]};
    route(CostPlan.plan(summaries(costs), 2, 3), costs, a);
    route(CostPlan.plan(summaries(costs), 2, 3), costs, b);
    assertTrue(Arrays.deepEquals(a, b));
  }

  @Test
  void balancedInputPartitionsAreKeptAsTheTasks() {
    double[][] costs = new double[4][10];
    for (double[] p : costs) {
      Arrays.fill(p, 1e9);
    }
    costs[2][3] = -1; // a bad row
    CostPlan plan = CostPlan.choose(summaries(costs), 2, null);
    assertTrue(plan.inPlace(), "no shuffle for partitions this balanced");
    assertEquals(4, plan.tasks());
    int[][] taskOf = new int[4][10];
    route(plan, costs, taskOf);
    for (int p = 0; p < costs.length; p++) {
      for (int r = 0; r < costs[p].length; r++) {
        if (costs[p][r] >= 0) {
          assertEquals(p, taskOf[p][r]);
        }
      }
    }
  }

  @Test
  void skewedInputPartitionsAreReplanned() {
    // One partition holds ten times the other's work: as they are, one slot would do 10/11 of it.
    double[][] costs = {new double[100], new double[10]};
    Arrays.fill(costs[0], 1e9);
    Arrays.fill(costs[1], 1e9);
    CostPlan plan = CostPlan.choose(summaries(costs), 2, null);
    assertFalse(plan.inPlace());
    double[] load = assertPlanHolds(plan, costs);
    assertTrue(balance(load) <= CostPlan.BALANCE_GOAL, "balance " + balance(load));
  }

  @Test
  void aUserTaskCountIsAlwaysACostPlan() {
    double[][] costs = {{1e9, 1e9}, {1e9, 1e9}};
    assertTrue(CostPlan.choose(summaries(costs), 2, null).inPlace());
    CostPlan plan = CostPlan.choose(summaries(costs), 2, 4);
    assertFalse(plan.inPlace());
    assertEquals(4, plan.tasks());
  }

  @Test
  void rowsRoutedAsReadGoToTheLeastLoadedTaskAndEndWithinOneRowOfTheMean() {
    // One partition read once, no scan first: costs seen only as the rows arrive, longest last.
    Random rnd = new Random(3);
    double[][] costs = {new double[500]};
    for (int r = 0; r < costs[0].length; r++) {
      costs[0][r] = r < 490 ? 1e9 * (1 + rnd.nextInt(20)) : 60e9;
    }
    CostPlan plan = CostPlan.asRead(4, 1e12);
    assertTrue(plan.routedAsRead());
    assertFalse(plan.inPlace());
    int[][] taskOf = {new int[500]};
    double[] load = route(plan, costs, taskOf);
    double mean = Arrays.stream(load).average().orElse(0);
    for (int t = 0; t < load.length; t++) {
      assertTrue(load[t] <= mean + 60e9, "task " + t + ": " + load[t] + " against mean " + mean);
    }
    // Each row to the task with the least cost before it (ties to the lowest task).
    double[] before = new double[4];
    for (int r = 0; r < costs[0].length; r++) {
      int least = 0;
      for (int t = 1; t < 4; t++) {
        least = before[t] < before[least] ? t : least;
      }
      assertEquals(least, taskOf[0][r], "row " + r);
      before[least] += costs[0][r];
    }
    int[][] again = {new int[500]};
    route(CostPlan.asRead(4, 1e12), costs, again);
    assertTrue(Arrays.deepEquals(taskOf, again), "the same input, the same tasks");
  }

  @Test
  void aPlanKeepsItsKindWithTheCostsItsTasksReported() {
    CostPlan reported = CostPlan.asRead(3, 9e9).withTaskCosts(new double[] {2e9, 4e9, 3e9});
    assertTrue(reported.routedAsRead());
    assertEquals(4e9, reported.maxTaskCost());
    assertEquals(9e9, reported.totalCost());
    assertTrue(CostPlan.inPlace(new double[] {1, 2}).withTaskCosts(new double[] {3, 4}).inPlace());
  }

  @Test
  void makespanIsTheLastSlotToFinishLongestFirst() {
    assertEquals(5.0, CostPlan.makespan(new double[] {2, 3, 2, 3}, 2));
    assertEquals(7.0, CostPlan.makespan(new double[] {2, 3, 2, 3, 2}, 2), "LPT, not the optimum 6");
    assertEquals(3.0, CostPlan.makespan(new double[] {1, 1, 1}, 1));
    assertEquals(0.0, CostPlan.makespan(new double[0], 2));
  }

  @Test
  void aHundredMillionRowsArePlannedInA64MegabyteHeap() throws Exception {
    // 10^4 partitions of 10^4 rows each, summarised as the scan would, planned in a JVM of its own
    // whose whole heap is 64 MB: one cost per row alone would be 800 MB.
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m",
                "-cp",
                System.getProperty("java.class.path"),
                PlannerScale.class.getName(),
                "10000",
                "10000")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished");
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("rows=100000000"), out);
  }
}
