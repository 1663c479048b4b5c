package org.sparkattention.job;

import java.io.Serializable;
import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * Which task computes each input row, chosen by cost, not by row count: a sequence costs its FLOPs
 * (about L*S*E + (L+S)*E^2), so one long sequence can outweigh thousands of short ones. Rows are
 * placed longest first on the least-loaded task (LPT), which keeps the costliest task within the
 * largest row's cost of the mean.
 */
public final class CostPlan implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Marks a row that is not computed (a bad row). */
  public static final int SKIP = -1;

  /** Aim for tasks of about this many FLOPs (about a second of one core). */
  static final double TARGET_TASK_FLOPS = 2e10;

  /** The balance goal: the costliest task at most this times the mean, where the rows allow. */
  public static final double BALANCE_GOAL = 1.2;

  /**
   * The input partitions are kept as the tasks when their makespan on the slots is at most this
   * times the cost plan's: moving the rows to the planned tasks costs a shuffle of the whole input
   * (about 8% of the headline job's wall time and 6% of the short-sequence job's, measured).
   */
  static final double IN_PLACE_SLACK = 1.1;

  private final int[][] taskOf;
  private final double[] taskCost;
  private final boolean inPlace;

  private CostPlan(int[][] taskOf, double[] taskCost, boolean inPlace) {
    this.taskOf = taskOf;
    this.taskCost = taskCost;
    this.inPlace = inPlace;
  }

  /**
   * The tasks for {@code costs}: the input partitions themselves when they are about as balanced as
   * {@link #plan} would make them (no shuffle needed), else the cost plan. A user's task count is
   * always a cost plan.
   */
  public static CostPlan choose(double[][] costs, int slots, Integer partitions) {
    CostPlan planned = plan(costs, slots, partitions);
    if (partitions != null) {
      return planned;
    }
    int[][] taskOf = new int[costs.length][];
    double[] load = new double[costs.length];
    for (int p = 0; p < costs.length; p++) {
      taskOf[p] = new int[costs[p].length];
      for (int r = 0; r < costs[p].length; r++) {
        taskOf[p][r] = costs[p][r] >= 0 ? p : SKIP;
        load[p] += Math.max(0, costs[p][r]);
      }
    }
    boolean keep =
        costs.length > 0
            && makespan(load, slots) <= IN_PLACE_SLACK * makespan(planned.taskCost, slots);
    return keep ? new CostPlan(taskOf, load, true) : planned;
  }

  /** When tasks of these costs run on {@code slots} slots, longest first: the last to finish. */
  static double makespan(double[] taskCosts, int slots) {
    double[] sorted = taskCosts.clone();
    Arrays.sort(sorted);
    PriorityQueue<Double> slotLoads = new PriorityQueue<>();
    for (int i = 0; i < Math.max(1, slots); i++) {
      slotLoads.add(0.0);
    }
    double end = 0;
    for (int i = sorted.length - 1; i >= 0; i--) {
      double finish = slotLoads.poll() + sorted[i];
      end = Math.max(end, finish);
      slotLoads.add(finish);
    }
    return end;
  }

  /**
   * Plans the tasks.
   *
   * @param costs per input partition, per row: the row's FLOPs, or a negative value to skip it
   * @param slots task slots of the cluster (cores)
   * @param partitions the user's task count, or null to choose from the total cost
   */
  public static CostPlan plan(double[][] costs, int slots, Integer partitions) {
    int rows = 0;
    double total = 0;
    double largest = 0;
    for (double[] p : costs) {
      for (double c : p) {
        if (c >= 0) {
          rows++;
          total += c;
          largest = Math.max(largest, c);
        }
      }
    }
    int tasks = partitions != null ? partitions : chooseTasks(rows, total, largest, slots);
    int[][] taskOf = new int[costs.length][];
    long[] order = new long[rows];
    int k = 0;
    for (int p = 0; p < costs.length; p++) {
      taskOf[p] = new int[costs[p].length];
      Arrays.fill(taskOf[p], SKIP);
      for (int r = 0; r < costs[p].length; r++) {
        if (costs[p][r] >= 0) {
          order[k++] = ((long) p << 32) | r;
        }
      }
    }
    // Longest first; ties by input position, so the plan is the same on every run.
    Long[] boxed = Arrays.stream(order).boxed().toArray(Long[]::new);
    Arrays.sort(
        boxed,
        (a, b) -> {
          int c = Double.compare(cost(costs, b), cost(costs, a));
          return c != 0 ? c : Long.compare(a, b);
        });
    double[] load = new double[Math.max(tasks, 1)];
    PriorityQueue<Integer> leastLoaded =
        new PriorityQueue<>(
            (a, b) -> {
              int c = Double.compare(load[a], load[b]);
              return c != 0 ? c : Integer.compare(a, b);
            });
    for (int t = 0; t < load.length; t++) {
      leastLoaded.add(t);
    }
    for (Long key : boxed) {
      int t = leastLoaded.poll();
      int p = (int) (key >>> 32);
      int r = (int) (key & 0xffffffffL);
      taskOf[p][r] = t;
      load[t] += costs[p][r];
      leastLoaded.add(t);
    }
    return new CostPlan(taskOf, load, false);
  }

  private static double cost(double[][] costs, long key) {
    return costs[(int) (key >>> 32)][(int) (key & 0xffffffffL)];
  }

  /**
   * Enough tasks of about {@link #TARGET_TASK_FLOPS} to fill every slot (a multiple of the slot
   * count), but never so many that the largest row alone exceeds the balance goal when fewer tasks
   * would do: then more tasks only add idle ones.
   */
  static int chooseTasks(int rows, double total, double largest, int slots) {
    if (rows == 0) {
      return 1;
    }
    int s = Math.max(1, slots);
    int waves = (int) Math.max(1, Math.ceil(total / (s * TARGET_TASK_FLOPS)));
    long tasks = (long) s * waves;
    if (largest > 0) {
      long balanced = (long) Math.floor(BALANCE_GOAL * total / largest);
      tasks = Math.min(tasks, Math.max(s, balanced));
    }
    return (int) Math.max(1, Math.min(tasks, rows));
  }

  /** The task of input partition {@code partition}'s row {@code row}, or {@link #SKIP}. */
  public int taskOf(int partition, int row) {
    return taskOf[partition][row];
  }

  /** Per-partition assignment arrays (for broadcasting). */
  int[][] assignment() {
    return taskOf;
  }

  /** Whether the tasks are the input partitions as they are (row i of partition p in task p). */
  public boolean inPlace() {
    return inPlace;
  }

  public int tasks() {
    return taskCost.length;
  }

  /** FLOPs planned per task. */
  public double[] taskCosts() {
    return taskCost.clone();
  }

  public double maxTaskCost() {
    return Arrays.stream(taskCost).max().orElse(0);
  }

  public double meanTaskCost() {
    return Arrays.stream(taskCost).average().orElse(0);
  }

  /** Costliest task over the mean task: 1.0 is perfect balance. */
  public double balance() {
    double mean = meanTaskCost();
    return mean == 0 ? 1.0 : maxTaskCost() / mean;
  }
}
