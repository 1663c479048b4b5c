package org.sparkattention.job;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * What the checking scan keeps of one input partition, a few numbers whatever its row count: rows,
 * bad rows (with the first few for the message), the good rows' total cost, and its {@value
 * #TOP_ROWS} costliest rows by position, from which the plan picks the heavy rows it places one by
 * one. The driver holds one per input partition, never one number per row. A class, not a record:
 * task results go through spark.serializer, and Kryo cannot build records.
 */
final class PartitionSummary implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The costliest rows kept per partition. */
  static final int TOP_ROWS = 16;

  /** Bad rows kept per partition for the error message. */
  static final int FIRST_BAD_ROWS = 3;

  private int partition;
  private long rows;
  private long badRows;
  private List<String[]> firstBad = new ArrayList<>();
  private double totalCost;
  private long queryTokens;
  private long mapCells;
  private int[] topRows = new int[0];
  private double[] topCosts = new double[0];

  // Building: a min-heap of the costliest rows so far, by cost then earlier position first.
  private transient PriorityQueue<double[]> top;

  PartitionSummary(int partition) {
    this.partition = partition;
    this.top =
        new PriorityQueue<>(
            (a, b) -> {
              int c = Double.compare(a[0], b[0]);
              return c != 0 ? c : Double.compare(b[1], a[1]);
            });
  }

  /**
   * A good row at {@code index} (its position in the partition) of cost {@code cost}, with its
   * queries (output rows of E values) and its map's cells per head (queries x keys).
   */
  void addGood(int index, double cost, int queries, long cells) {
    rows++;
    totalCost += cost;
    queryTokens += queries;
    mapCells += cells;
    if (top.size() < TOP_ROWS) {
      top.add(new double[] {cost, index});
    } else if (cost > top.peek()[0]) {
      top.poll();
      top.add(new double[] {cost, index});
    }
  }

  /** A bad row: counted, and kept for the message while there are few. */
  void addBad(String id, String reason) {
    rows++;
    badRows++;
    if (firstBad.size() < FIRST_BAD_ROWS) {
      firstBad.add(new String[] {id, reason});
    }
  }

  /** Ends the scan: the kept rows in position order. */
  PartitionSummary finish() {
    List<double[]> kept = new ArrayList<>(top);
    kept.sort((a, b) -> Double.compare(a[1], b[1]));
    topRows = new int[kept.size()];
    topCosts = new double[kept.size()];
    for (int i = 0; i < kept.size(); i++) {
      topRows[i] = (int) kept.get(i)[1];
      topCosts[i] = kept.get(i)[0];
    }
    top = null;
    return this;
  }

  /** A summary from its parts, for tests and for the planner's scale test. */
  static PartitionSummary of(
      int partition, long goodRows, double totalCost, int[] top, double[] costs) {
    PartitionSummary s = new PartitionSummary(partition);
    s.rows = goodRows;
    s.totalCost = totalCost;
    s.topRows = top.clone();
    s.topCosts = costs.clone();
    s.top = null;
    return s;
  }

  int partition() {
    return partition;
  }

  /** Rows, good and bad. */
  long rows() {
    return rows;
  }

  long badRows() {
    return badRows;
  }

  long goodRows() {
    return rows - badRows;
  }

  List<String[]> firstBad() {
    return firstBad;
  }

  /** The good rows' summed cost. */
  double totalCost() {
    return totalCost;
  }

  /** The good rows' queries, summed: output vectors to write. */
  long queryTokens() {
    return queryTokens;
  }

  /** The good rows' map cells per head (queries x keys), summed. */
  long mapCells() {
    return mapCells;
  }

  /** Positions of the costliest rows, ascending. */
  int[] topRows() {
    return topRows;
  }

  /** Their costs, in the same order. */
  double[] topCosts() {
    return topCosts;
  }
}
