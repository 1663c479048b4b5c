package org.sparkattention.job;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Which task computes each input row, chosen by cost, not by row count (a sequence costs its FLOPs,
 * about L*S*E + (L+S)*E^2, so one long sequence can outweigh thousands of short ones), from the
 * scan's {@link PartitionSummary partition summaries} alone: the plan takes memory in the input
 * partitions, the tasks and the heavy rows, never in the rows.
 *
 * <ul>
 *   <li><b>Heavy rows</b>, those costing more than {@value #HEAVY_SHARE} of the mean task, are
 *       placed one by one, longest first, on the least-loaded task (LPT).
 *   <li><b>Light rows</b> fill what the heavy rows leave of each task: the tasks' remaining
 *       capacities laid end to end form a line of the light rows' total cost, each partition's
 *       light rows take their stretch of it in partition order, and a row goes to the task under
 *       the middle of its own cost in that stretch. Each task gets its capacity to within one light
 *       row; the routing pass needs a few numbers per partition.
 * </ul>
 *
 * Both are deterministic: the same input gives the same plan.
 */
public final class CostPlan implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Aim for tasks of about this many FLOPs (a few seconds of one core): each task costs about 0.1
   * core-second of its own (its shuffle fetch, writers, workspace); the headline as one row group
   * took 12.2 and 12.4 s in 4 tasks against 13.5 and 13.2 s in 16 (2e10 FLOPs a task).
   */
  static final double TARGET_TASK_FLOPS = 1e11;

  /** The balance goal: the costliest task at most this times the mean, where the rows allow. */
  public static final double BALANCE_GOAL = 1.2;

  /** Rows costing more than this share of the mean task are placed one by one. */
  static final double HEAVY_SHARE = 0.25;

  /**
   * The input partitions are kept as the tasks when their makespan on the slots is at most this
   * times the cost plan's: moving the rows to the planned tasks costs a shuffle of the whole input
   * (about 8% of the headline job's wall time and 6% of the short-sequence job's, measured).
   */
  static final double IN_PLACE_SLACK = 1.1;

  private final boolean inPlace;

  /**
   * Rows routed as the routing pass reads them, each to the least-loaded task so far ({@link
   * #asRead}): the plan of an input of one partition, made from its footer, with no scan first.
   */
  private final boolean asRead;

  private final double[] taskCost;

  /** Light capacity of task t: [bounds[t], bounds[t+1]) on the light rows' cost line. */
  private final double[] bounds;

  /** Per input partition: where its light rows start on that line. */
  private final double[] lightStart;

  /** Per input partition: its heavy rows' positions (ascending) and tasks. */
  private final int[][] heavyRows;

  private final int[][] heavyTasks;

  private CostPlan(
      boolean inPlace,
      boolean asRead,
      double[] taskCost,
      double[] bounds,
      double[] lightStart,
      int[][] heavyRows,
      int[][] heavyTasks) {
    this.inPlace = inPlace;
    this.asRead = asRead;
    this.taskCost = taskCost;
    this.bounds = bounds;
    this.lightStart = lightStart;
    this.heavyRows = heavyRows;
    this.heavyTasks = heavyTasks;
  }

  /**
   * The tasks for these partitions: the input partitions themselves when they are about as balanced
   * as {@link #plan} would make them (no shuffle needed), else the cost plan. A user's task count
   * is always a cost plan.
   *
   * @param partitions one summary per input partition, in partition order
   */
  public static CostPlan choose(List<PartitionSummary> partitions, int slots, Integer tasks) {
    CostPlan planned = plan(partitions, slots, tasks);
    if (tasks != null || partitions.isEmpty()) {
      return planned;
    }
    CostPlan asTheyAre = inPlace(partitions);
    boolean keep =
        makespan(asTheyAre.taskCost, slots) <= IN_PLACE_SLACK * makespan(planned.taskCost, slots);
    return keep ? asTheyAre : planned;
  }

  /** The input partitions as the tasks, each costing its summary's total. */
  static CostPlan inPlace(List<PartitionSummary> partitions) {
    return inPlace(partitions.stream().mapToDouble(PartitionSummary::totalCost).toArray());
  }

  /** The input partitions as the tasks, with these costs. */
  static CostPlan inPlace(double[] partitionCosts) {
    return new CostPlan(true, false, partitionCosts.clone(), null, null, null, null);
  }

  /**
   * Rows routed as they are read, without a scan first: each row, in input order, to the task with
   * the least cost so far (ties to the lowest task), so that every task ends within one row's cost
   * of the mean. For an input of one partition (one file of one row group, as DuckDB, pyarrow or
   * Polars write a small table), whose rows must move anyway: the routing pass is then the only
   * read, and the compute tasks check the rows. Deterministic: the same input gives the same tasks.
   *
   * @param tasks the tasks, chosen from the footer's estimate
   * @param estimatedCost the footer's estimate of the input's cost, for progress until the tasks
   *     report what they computed ({@link #withTaskCosts})
   */
  static CostPlan asRead(int tasks, double estimatedCost) {
    double[] costs = new double[tasks];
    Arrays.fill(costs, estimatedCost / tasks);
    return new CostPlan(false, true, costs, null, null, null, null);
  }

  /** This plan with the task costs its tasks reported (a plan made before the costs were known). */
  CostPlan withTaskCosts(double[] costs) {
    return new CostPlan(inPlace, asRead, costs.clone(), bounds, lightStart, heavyRows, heavyTasks);
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
   * @param partitions one summary per input partition, in partition order
   * @param slots task slots of the cluster (cores)
   * @param userTasks the user's task count, or null to choose from the total cost
   */
  public static CostPlan plan(List<PartitionSummary> partitions, int slots, Integer userTasks) {
    long rows = 0;
    double total = 0;
    double largest = 0;
    for (PartitionSummary s : partitions) {
      rows += s.goodRows();
      total += s.totalCost();
      for (double c : s.topCosts()) {
        largest = Math.max(largest, c);
      }
    }
    int tasks = userTasks != null ? userTasks : chooseTasks(rows, total, largest, slots);
    double mean = total / tasks;

    // Heavy rows, longest first (ties by position), each on the least-loaded task.
    List<long[]> heavy = new ArrayList<>(); // {partition, index in the summary's top rows}
    for (PartitionSummary s : partitions) {
      for (int i = 0; i < s.topCosts().length; i++) {
        if (s.topCosts()[i] > HEAVY_SHARE * mean) {
          heavy.add(new long[] {s.partition(), i});
        }
      }
    }
    heavy.sort(
        (a, b) -> {
          int c = Double.compare(topCost(partitions, b), topCost(partitions, a));
          return c != 0 ? c : a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]);
        });
    double[] heavyLoad = new double[tasks];
    PriorityQueue<Integer> leastLoaded =
        new PriorityQueue<>(
            (a, b) -> {
              int c = Double.compare(heavyLoad[a], heavyLoad[b]);
              return c != 0 ? c : Integer.compare(a, b);
            });
    for (int t = 0; t < tasks; t++) {
      leastLoaded.add(t);
    }
    int n = partitions.size();
    List<List<int[]>> placed = new ArrayList<>(); // per partition: {row position, task}
    for (int p = 0; p < n; p++) {
      placed.add(new ArrayList<>());
    }
    double[] heavyOfPartition = new double[n];
    for (long[] h : heavy) {
      int p = (int) h[0];
      PartitionSummary s = partitions.get(p);
      double cost = s.topCosts()[(int) h[1]];
      int t = leastLoaded.poll();
      heavyLoad[t] += cost;
      leastLoaded.add(t);
      placed.get(p).add(new int[] {s.topRows()[(int) h[1]], t});
      heavyOfPartition[p] += cost;
    }

    // The light rows' line: partitions in order, tasks' remaining capacities end to end.
    double[] lightStart = new double[n];
    double light = 0;
    for (int p = 0; p < n; p++) {
      lightStart[p] = light;
      light += Math.max(0, partitions.get(p).totalCost() - heavyOfPartition[p]);
    }
    double[] capacity = new double[tasks];
    double capacities = 0;
    for (int t = 0; t < tasks; t++) {
      capacity[t] = Math.max(0, mean - heavyLoad[t]);
      capacities += capacity[t];
    }
    double[] bounds = new double[tasks + 1];
    double[] taskCost = new double[tasks];
    for (int t = 0; t < tasks; t++) {
      double share = capacities > 0 ? capacity[t] / capacities : 1.0 / tasks;
      bounds[t + 1] = bounds[t] + share * light;
      taskCost[t] = heavyLoad[t] + (bounds[t + 1] - bounds[t]);
    }
    bounds[tasks] = Double.POSITIVE_INFINITY; // rounding never routes a row past the last task

    int[][] heavyRows = new int[n][];
    int[][] heavyTasks = new int[n][];
    for (int p = 0; p < n; p++) {
      List<int[]> rowsOfP = placed.get(p);
      rowsOfP.sort((a, b) -> Integer.compare(a[0], b[0]));
      heavyRows[p] = rowsOfP.stream().mapToInt(r -> r[0]).toArray();
      heavyTasks[p] = rowsOfP.stream().mapToInt(r -> r[1]).toArray();
    }
    return new CostPlan(false, false, taskCost, bounds, lightStart, heavyRows, heavyTasks);
  }

  private static double topCost(List<PartitionSummary> partitions, long[] h) {
    return partitions.get((int) h[0]).topCosts()[(int) h[1]];
  }

  /**
   * Enough tasks of about {@link #TARGET_TASK_FLOPS} to fill every slot (a multiple of the slot
   * count), but never so many that the largest row alone exceeds the balance goal when fewer tasks
   * would do: then more tasks only add idle ones.
   */
  static int chooseTasks(long rows, double total, double largest, int slots) {
    if (rows == 0) {
      return 1;
    }
    int s = Math.max(1, slots);
    long waves = (long) Math.max(1, Math.ceil(total / (s * TARGET_TASK_FLOPS)));
    long tasks = s * waves;
    if (largest > 0) {
      long balanced = (long) Math.floor(BALANCE_GOAL * total / largest);
      tasks = Math.min(tasks, Math.max(s, balanced));
    }
    return (int) Math.max(1, Math.min(Math.min(tasks, rows), Integer.MAX_VALUE - 8));
  }

  /**
   * The routing of one input partition's good rows, in the order its pass reads them (the order the
   * scan read them in): a small stateful object per partition pass.
   */
  public Router router(int partition) {
    return new Router(partition);
  }

  /** Routes one partition's good rows, one call per row in partition order. */
  public final class Router {
    private final int partition;
    private double lightSoFar;
    private int nextHeavy;

    /** With rows routed as read: each task's cost so far in this partition's pass. */
    private final double[] loads;

    private Router(int partition) {
      this.partition = partition;
      this.loads = asRead ? new double[taskCost.length] : null;
    }

    /**
     * The task of the good row at {@code position} (its index among all the partition's rows, bad
     * ones included) of cost {@code cost}; routed as read, of any row (a bad one at cost 0).
     */
    public int taskOf(int position, double cost) {
      if (inPlace) {
        return partition;
      }
      if (asRead) {
        int least = 0;
        for (int t = 1; t < loads.length; t++) {
          if (loads[t] < loads[least]) {
            least = t;
          }
        }
        loads[least] += cost;
        return least;
      }
      int[] rows = heavyRows[partition];
      if (nextHeavy < rows.length && rows[nextHeavy] == position) {
        return heavyTasks[partition][nextHeavy++];
      }
      double middle = lightStart[partition] + lightSoFar + cost / 2;
      lightSoFar += cost;
      int t = Arrays.binarySearch(bounds, middle);
      // On a bound, the task that starts there; between bounds, the one whose stretch holds it.
      t = t >= 0 ? t : -t - 2;
      return Math.min(Math.max(t, 0), taskCost.length - 1);
    }
  }

  /** Whether the tasks are the input partitions as they are (partition p's rows in task p). */
  public boolean inPlace() {
    return inPlace;
  }

  /** Whether rows go to their tasks as the routing pass reads them ({@link #asRead}). */
  public boolean routedAsRead() {
    return asRead;
  }

  public int tasks() {
    return taskCost.length;
  }

  /** FLOPs planned per task (each light-row stretch to within one light row). */
  public double[] taskCosts() {
    return taskCost.clone();
  }

  public double maxTaskCost() {
    return Arrays.stream(taskCost).max().orElse(0);
  }

  /** FLOPs planned for the whole run. */
  public double totalCost() {
    return Arrays.stream(taskCost).sum();
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
