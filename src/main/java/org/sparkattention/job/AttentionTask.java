package org.sparkattention.job;

import java.io.Serializable;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.sql.catalyst.InternalRow;
import org.sparkattention.config.MapsSetting;
import org.sparkattention.errors.UserErrors;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.SequenceCodec;
import org.sparkattention.kernel.AttentionMapConsumer;
import org.sparkattention.kernel.AttentionOptions;
import org.sparkattention.kernel.AttentionWorkspace;
import org.sparkattention.kernel.BlockedAttentionKernel;
import org.sparkattention.kernel.QueryStatistics;
import org.sparkattention.model.AttentionWeights;

/**
 * What one Spark task does with its rows: one kernel and one workspace for the whole task; for each
 * sequence one forward pass, its output row, and (when maps are on) its map rows from the same
 * forward pass, head by head so that only one head's map is in memory at a time. Emits compact
 * unsafe rows: {@link OutputRows#outputSchema} rows without maps, {@link
 * OutputRows#outputAndMapSchema} rows (outputs and maps) with them.
 */
final class AttentionTask
    implements FlatMapFunction<Iterator<InternalRow>, InternalRow>, Serializable {
  private static final long serialVersionUID = 1L;

  private final Broadcast<AttentionWeights> weights;
  private final AttentionOptions options;
  private final SequenceCodec codec;
  private final OutputRows outputRows;

  /** Which maps each sequence gets: none, one per head, or their mean. */
  private final MapsSetting mapMode;

  /** bad.rows=quarantine: a row whose computation overflows becomes a bad row, not an error. */
  private final boolean quarantine;

  private final JobMetrics metrics;

  /** The heads whose maps are written (maps.heads; every head by default). */
  private final int[] mapHeads;

  /** maps.topk: keys written per query with maps=topk. */
  private final int topK;

  /**
   * When the input is read once (no checking scan), each row's check, made here; null when the scan
   * checked every row.
   */
  private final RowCheck inlineCheck;

  AttentionTask(
      Broadcast<AttentionWeights> weights,
      AttentionOptions options,
      SequenceCodec codec,
      OutputRows outputRows,
      MapsSetting mapMode,
      int[] mapHeads,
      int topK,
      boolean quarantine,
      RowCheck inlineCheck,
      JobMetrics metrics) {
    this.weights = weights;
    this.options = options;
    this.codec = codec;
    this.outputRows = outputRows;
    this.mapMode = mapMode;
    this.mapHeads = mapHeads;
    this.topK = topK;
    this.quarantine = quarantine;
    this.inlineCheck = inlineCheck;
    this.metrics = metrics;
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
    BlockedAttentionKernel kernel = new BlockedAttentionKernel(weights.value(), options);
    // Each output is encoded before the next sequence: the workspace's own array serves them all.
    AttentionWorkspace ws = kernel.newWorkspace().reuseOutputs();
    int partition = TaskContext.get() == null ? 0 : TaskContext.get().partitionId();
    return new SequenceRows(rows, kernel, ws, mapMode != MapsSetting.NONE, partition);
  }

  /**
   * A task's rows out: each input row's output row, then (with maps) its map rows, computed one
   * sequence at a time. The rows are generic, holding the floats as unsafe arrays: the scan that
   * hands them to the writer turns each into an {@code UnsafeRow} (one copy, not two). With an
   * inline check, a bad row becomes a bad row with its reason (quarantine), or ends the task's
   * computing: its remaining rows are only checked and counted, and the run fails.
   */
  private final class SequenceRows implements Iterator<InternalRow> {
    private final Iterator<InternalRow> rows;
    private final BlockedAttentionKernel kernel;
    private final AttentionWorkspace ws;
    private final SequenceCodec.DecodeBuffers decodeBuffers = new SequenceCodec.DecodeBuffers();
    private final boolean maps;

    /** The carried column values of the sequence whose map rows are being emitted, or null. */
    private Object[] current;

    private int currentQueryLen;
    private int currentKeyLen;

    /** With maps=mean, the current row's mean map, made by its forward pass. */
    private float[] meanMap;

    /** With maps=summary or topk, the current row's statistics, made by its forward pass. */
    private final QueryStatistics stats =
        mapMode == MapsSetting.TOPK ? new QueryStatistics(topK, false) : new QueryStatistics(0);

    /** The next map row of the current sequence: its head, an index into mapHeads. */
    private int nextHead;

    private int sequences;

    private final int partition;

    /** The next input row's position in the partition (inline checks). */
    private int position;

    /** The next row to emit, made by hasNext, or null. */
    private InternalRow ready;

    /** An inline check found a bad row and the run will fail: nothing more is computed. */
    private boolean failing;

    private int badKept;
    private double taskFlops;
    private boolean reported;

    // With maps=topk, one head's kept keys by query and rank, reused (the rows copy them).
    private int[] topQuery = new int[0];
    private int[] topRank = new int[0];
    private int[] topKey = new int[0];
    private float[] topWeight = new float[0];

    SequenceRows(
        Iterator<InternalRow> rows,
        BlockedAttentionKernel kernel,
        AttentionWorkspace ws,
        boolean maps,
        int partition) {
      this.rows = rows;
      this.kernel = kernel;
      this.ws = ws;
      this.maps = maps;
      this.partition = partition;
    }

    @Override
    public boolean hasNext() {
      if (ready != null || current != null) {
        return true;
      }
      while (inlineCheck == null ? rows.hasNext() : InputScan.readNext(rows)) {
        InternalRow row = rows.next();
        String reason = inlineCheck == null ? null : checkInline(row);
        if (reason != null) {
          if (quarantine) {
            ready = outputRows.computedBadRow(row, reason, maps);
            return true;
          }
          failing = true;
        } else if (!failing) {
          ready = compute(row);
          return true;
        }
      }
      if (inlineCheck != null && !reported) {
        reported = true; // hasNext may be asked again at the end
        metrics.taskFlops.add(new double[] {partition, taskFlops});
      }
      return false;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      if (ready != null) {
        InternalRow row = ready;
        ready = null;
        return row;
      }
      return nextMap();
    }

    /** The row's verdict, counted; the first few bad rows kept for the message. */
    private String checkInline(InternalRow row) {
      int at = position++;
      metrics.inputRows.add(1);
      String reason = inlineCheck.badReason(row);
      if (reason != null) {
        metrics.badInputRows.add(1);
        if (badKept++ < PartitionSummary.FIRST_BAD_ROWS) {
          metrics.firstBadRows.add(
              new String[] {
                Integer.toString(partition),
                Integer.toString(at),
                String.valueOf(codec.id(row)),
                reason
              });
        }
      }
      return reason;
    }

    private InternalRow compute(InternalRow row) {
      long t0 = System.nanoTime();
      DenseMatrix query = codec.query(row, decodeBuffers);
      DenseMatrix key = codec.key(row, query, decodeBuffers);
      DenseMatrix value = codec.value(row, query, decodeBuffers);
      boolean[] mask = codec.keyPaddingMask(row);
      long t1 = System.nanoTime();
      DenseMatrix out;
      if (mapMode == MapsSetting.MEAN) {
        // The mean map comes from the forward pass itself.
        float[] map = new float[query.numRows() * (key.numRows() + kernel.extraKeys())];
        AttentionMapConsumer toMap = (q0, qn, kn, block) -> copy(block, q0, qn, kn, map);
        out = kernel.forward(ws, query, key, value, mask, toMap);
        meanMap = map;
      } else if (mapMode == MapsSetting.SUMMARY || mapMode == MapsSetting.TOPK) {
        out = kernel.forward(ws, query, key, value, mask, null, stats);
      } else {
        out = kernel.forward(ws, query, key, value, mask);
      }
      long t2 = System.nanoTime();
      String overflow = overflowReason(out);
      if (overflow != null) {
        meanMap = null;
        metrics.overflowRows.add(1);
        if (!quarantine) {
          throw UserErrors.badResult(codec.id(row), overflow);
        }
        return outputRows.computedBadRow(row, overflow, maps);
      }
      InternalRow encoded =
          maps || quarantine
              ? outputRows.computedOutput(
                  row, out.values(), out.numRows(), out.numCols(), maps, quarantine)
              : outputRows.output(row, out.values(), out.numRows(), out.numCols());
      long t3 = System.nanoTime();
      // Work done: only the head maps take a pass of their own over the keys.
      double flops = kernel.flops(query.numRows(), key.numRows(), mapMode == MapsSetting.HEADS);
      taskFlops += flops;
      metrics.sequence(flops, ws.fullyMaskedQueries(), t1 - t0, t2 - t1, t3 - t2);
      FaultInjection.afterSequence(++sequences);
      if (maps) {
        // Held while its map rows are emitted (the input iterator may reuse the row object):
        // only what the map rows carry, read once.
        current = outputRows.carried(row);
        currentQueryLen = codec.queryLen(row);
        currentKeyLen = codec.keyLen(row);
        nextHead = 0;
      }
      return encoded;
    }

    private InternalRow nextMap() {
      long t0 = System.nanoTime();
      int queryLen = currentQueryLen;
      int datasetRows = 1;
      InternalRow row;
      switch (mapMode) {
        case MEAN -> row = meanRow(queryLen);
        case HEADS -> row = headRow(queryLen);
        case SUMMARY ->
            row = outputRows.summary(current, mapHeads[nextHead++], stats, queryLen, quarantine);
        case TOPK -> {
          datasetRows = collectTopKeys(mapHeads[nextHead], queryLen);
          row =
              outputRows.topKeys(
                  current,
                  mapHeads[nextHead++],
                  topQuery,
                  topRank,
                  topKey,
                  topWeight,
                  datasetRows,
                  quarantine);
        }
        default -> throw new IllegalStateException("no maps");
      }
      long nanos = System.nanoTime() - t0;
      // Only a head's map is computed here (a second pass over its keys); the other kinds come
      // from the forward pass, and making their rows is encoding.
      boolean computed = mapMode == MapsSetting.HEADS;
      metrics.mapRows(datasetRows, computed ? nanos : 0, computed ? 0 : nanos);
      if (mapMode == MapsSetting.MEAN || nextHead == mapHeads.length) {
        current = null;
      }
      return row;
    }

    private InternalRow meanRow(int queryLen) {
      int keyCount = currentKeyLen + kernel.extraKeys();
      float[] map = meanMap;
      meanMap = null;
      return outputRows.map(current, null, map, queryLen, keyCount, quarantine);
    }

    private InternalRow headRow(int queryLen) {
      int keyCount = currentKeyLen + kernel.extraKeys();
      int h = mapHeads[nextHead++];
      float[] map = new float[queryLen * keyCount];
      kernel.headMap(ws, h, (q0, qn, kn, block) -> copy(block, q0, qn, kn, map));
      return outputRows.map(current, h, map, queryLen, keyCount, quarantine);
    }

    /**
     * Head h's kept keys into the top-key buffers, by query then rank (a query that saw no key has
     * none); returns how many.
     */
    private int collectTopKeys(int h, int queryLen) {
      int most = queryLen * stats.topK();
      if (topKey.length < most) {
        topQuery = new int[most];
        topRank = new int[most];
        topKey = new int[most];
        topWeight = new float[most];
      }
      int n = 0;
      for (int q = 0; q < queryLen; q++) {
        int kept = stats.topCount(h, q);
        for (int r = 0; r < kept; r++, n++) {
          topQuery[n] = q;
          topRank[n] = r;
          topKey[n] = stats.topKey(h, q, r);
          topWeight[n] = (float) stats.topWeight(h, q, r);
        }
      }
      return n;
    }
  }

  /**
   * Why {@code out} cannot be written, or null: a value that is NaN or infinite (the computation
   * overflowed double) or beyond float32's range (it would be written as infinity). With a finite
   * output the softmax's maximum and sum are finite, so its maps are too.
   */
  static String overflowReason(DenseMatrix out) {
    double[] v = out.values();
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite((float) v[i])) {
        // The output is row-major (numCols values per token).
        int token = i / out.numCols();
        int column = i % out.numCols();
        return "its computation overflows: output token "
            + token
            + ", column "
            + column
            + " is "
            + (Double.isFinite(v[i]) ? v[i] + ", beyond float32's range" : String.valueOf(v[i]))
            + " (inputs or weights too large; scale them down)";
      }
    }
    return null;
  }

  private static void copy(double[] block, int q0, int qn, int keyCount, float[] map) {
    int base = q0 * keyCount;
    int n = qn * keyCount;
    for (int i = 0; i < n; i++) {
      map[base + i] = (float) block[i];
    }
  }
}
