package org.sparkattention.job;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The planner at scale, from summaries alone: {@code PlannerScale PARTITIONS ROWS_PER_PARTITION
 * [SLOTS [TASKS]]} (TASKS: a cost plan of that many tasks) builds the summaries the scan would
 * return for that many rows (costs of short sequences with one long one in every hundredth
 * partition), plans them, routes one partition, and prints the rows, tasks, planning time and peak
 * heap. Run in a small heap by CostPlanTest; README, "Scale".
 */
public final class PlannerScale {
  private PlannerScale() {}

  public static void main(String[] args) {
    int partitions = Integer.parseInt(args[0]);
    int rowsPer = Integer.parseInt(args[1]);
    int slots = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
    Integer tasks = args.length > 3 ? Integer.valueOf(args[3]) : null;
    Random rnd = new Random(7);
    long t0 = System.nanoTime();
    List<PartitionSummary> summaries = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      int k = PartitionSummary.TOP_ROWS;
      int[] top = new int[k];
      double[] costs = new double[k];
      for (int i = 0; i < k; i++) {
        top[i] = i * (rowsPer / k);
        costs[i] = 2e6 * (1 + rnd.nextDouble());
      }
      if (p % 100 == 0) {
        costs[0] = 5e11; // a long sequence
      }
      double total = 1.5e6 * rowsPer + costs[0];
      summaries.add(PartitionSummary.of(p, rowsPer, total, top, costs));
    }
    long t1 = System.nanoTime();
    CostPlan plan = CostPlan.choose(summaries, slots, tasks);
    long t2 = System.nanoTime();
    CostPlan.Router router = plan.router(partitions / 2);
    long routed = 0;
    for (int r = 0; r < rowsPer; r++) {
      routed += router.taskOf(r, 1.5e6) >= 0 ? 1 : 0;
    }
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.printf(
        "rows=%d partitions=%d tasks=%d in_place=%s balance=%.3f summaries_s=%.2f plan_s=%.2f"
            + " routed=%d peak_heap_mb=%.1f max_heap_mb=%.0f%n",
        (long) partitions * rowsPer,
        partitions,
        plan.tasks(),
        plan.inPlace(),
        plan.balance(),
        (t1 - t0) / 1e9,
        (t2 - t1) / 1e9,
        routed,
        peak / 1048576.0,
        Runtime.getRuntime().maxMemory() / 1048576.0);
  }
}
