package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkattention.kernel.CostModel;

/** The cost balancer: balanced tasks, every row placed once, skipped rows never placed. */
class CostPlanTest {

  private static void assertEveryRowOnce(CostPlan plan, double[][] costs) {
    double[] load = new double[plan.tasks()];
    for (int p = 0; p < costs.length; p++) {
      for (int r = 0; r < costs[p].length; r++) {
        int t = plan.taskOf(p, r);
        if (costs[p][r] < 0) {
          assertEquals(CostPlan.SKIP, t, "a skipped row is not placed");
        } else {
          assertTrue(t >= 0 && t < plan.tasks(), "placed on a real task");
          load[t] += costs[p][r];
        }
      }
    }
    double[] planned = plan.taskCosts();
    for (int t = 0; t < load.length; t++) {
      assertEquals(load[t], planned[t], 1e-9 * load[t], "task cost is the sum of its rows");
    }
  }

  @Test
  void manyEqualRowsBalancePerfectly() {
    double[][] costs = {new double[100], new double[60]};
    Arrays.fill(costs[0], 1e9);
    Arrays.fill(costs[1], 1e9);
    CostPlan plan = CostPlan.plan(costs, 4, 8);
    assertEquals(8, plan.tasks());
    assertEquals(1.0, plan.balance(), 1e-12);
    assertEveryRowOnce(plan, costs);
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
    CostPlan plan = CostPlan.plan(costs, 2, null);
    assertEveryRowOnce(plan, costs);
    assertTrue(plan.tasks() >= 2, "all slots used");
    assertTrue(plan.balance() <= CostPlan.BALANCE_GOAL, "balance " + plan.balance());
    // Row counts per task are far from equal: balance is by cost, not rows.
    int bigTask = plan.taskOf(2, 17);
    int rowsOnBigTask = 0;
    for (int p = 0; p < 4; p++) {
      for (int r = 0; r < costs[p].length; r++) {
        rowsOnBigTask += plan.taskOf(p, r) == bigTask ? 1 : 0;
      }
    }
    assertTrue(rowsOnBigTask < 5000 / plan.tasks(), "the long sequence's task has fewer rows");
  }

  @Test
  void dominantRowLimitsTheTaskCountInsteadOfIdleTasks() {
    double[][] costs = {{90e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9}};
    CostPlan plan = CostPlan.plan(costs, 2, null);
    assertEquals(2, plan.tasks(), "one task for the big row, one for the rest");
    assertEveryRowOnce(plan, costs);
  }

  @Test
  void badRowsAreSkippedAndPartitionsOverrideIsHonoured() {
    double[][] costs = {{1e9, -1, 2e9}, {-1}, {3e9, 4e9}};
    CostPlan plan = CostPlan.plan(costs, 2, 7);
    assertEquals(7, plan.tasks());
    assertEveryRowOnce(plan, costs);
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
    CostPlan a = CostPlan.plan(costs, 2, 3);
    CostPlan b = CostPlan.plan(costs, 2, 3);
    for (int p = 0; p < costs.length; p++) {
      for (int r = 0; r < costs[p].length; r++) {
        assertEquals(a.taskOf(p, r), b.taskOf(p, r));
      }
    }
  }

  @Test
  void balancedInputPartitionsAreKeptAsTheTasks() {
    double[][] costs = new double[4][10];
    for (double[] p : costs) {
      Arrays.fill(p, 1e9);
    }
    costs[2][3] = -1; // a bad row
    CostPlan plan = CostPlan.choose(costs, 2, null);
    assertTrue(plan.inPlace(), "no shuffle for partitions this balanced");
    assertEquals(4, plan.tasks());
    assertEveryRowOnce(plan, costs);
    for (int p = 0; p < costs.length; p++) {
      for (int r = 0; r < costs[p].length; r++) {
        assertEquals(costs[p][r] < 0 ? CostPlan.SKIP : p, plan.taskOf(p, r));
      }
    }
  }

  @Test
  void skewedInputPartitionsAreReplanned() {
    // One partition holds ten times the other's work: as they are, one slot would do 10/11 of it.
    double[][] costs = {new double[100], new double[10]};
    Arrays.fill(costs[0], 1e9);
    Arrays.fill(costs[1], 1e9);
    CostPlan plan = CostPlan.choose(costs, 2, null);
    assertFalse(plan.inPlace());
    assertEveryRowOnce(plan, costs);
    assertTrue(plan.balance() <= CostPlan.BALANCE_GOAL, "balance " + plan.balance());
  }

  @Test
  void aUserTaskCountIsAlwaysACostPlan() {
    double[][] costs = {{1e9, 1e9}, {1e9, 1e9}};
    assertTrue(CostPlan.choose(costs, 2, null).inPlace());
    CostPlan plan = CostPlan.choose(costs, 2, 4);
    assertFalse(plan.inPlace());
    assertEquals(4, plan.tasks());
  }

  @Test
  void makespanIsTheLastSlotToFinishLongestFirst() {
    assertEquals(5.0, CostPlan.makespan(new double[] {2, 3, 2, 3}, 2));
    assertEquals(7.0, CostPlan.makespan(new double[] {2, 3, 2, 3, 2}, 2), "LPT, not the optimum 6");
    assertEquals(3.0, CostPlan.makespan(new double[] {1, 1, 1}, 1));
    assertEquals(0.0, CostPlan.makespan(new double[0], 2));
  }
}
