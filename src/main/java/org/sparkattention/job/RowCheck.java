package org.sparkattention.job;

import java.io.Serializable;
import org.apache.spark.sql.catalyst.InternalRow;
import org.sparkattention.config.MapsSetting;
import org.sparkattention.io.SequenceCodec;
import org.sparkattention.kernel.CostModel;

/**
 * One input row's verdict, the same in every pass over the input (the checking scan, the routing
 * pass, the bad-row writer): why it is bad, or what it costs. Recomputing it costs less than
 * keeping one verdict per row on the driver.
 */
final class RowCheck implements Serializable {
  private static final long serialVersionUID = 1L;

  private final SequenceCodec codec;
  private final CostModel costModel;
  private final MapsSetting maps;
  private final long maxMapBytes;

  RowCheck(SequenceCodec codec, CostModel costModel, MapsSetting maps, long maxMapBytes) {
    this.codec = codec;
    this.costModel = costModel;
    this.maps = maps;
    this.maxMapBytes = maxMapBytes;
  }

  SequenceCodec codec() {
    return codec;
  }

  CostModel costModel() {
    return costModel;
  }

  /** Why the row cannot be computed, or null for a good row. */
  String badReason(InternalRow row) {
    String reason = codec.badRowReason(row);
    return reason == null && maps.isMatrix() ? mapTooLarge(row) : reason;
  }

  /**
   * A good row's FLOPs (see {@link CostModel#flops}), as its task will count them: per-head maps
   * compute the scores again, the mean map comes from the forward pass.
   */
  double cost(InternalRow row) {
    return costModel.flops(codec.queryLen(row), codec.keyLen(row), maps == MapsSetting.HEADS);
  }

  /** A good row's queries (L). */
  int queries(InternalRow row) {
    return codec.queryLen(row);
  }

  /** A good row's map cells per head: L x S' (its keys and the added ones). */
  long mapCells(InternalRow row) {
    return (long) codec.queryLen(row) * (codec.keyLen(row) + costModel.extraKeys());
  }

  /** Why a row's map would not fit in an executor, or null. */
  private String mapTooLarge(InternalRow row) {
    int keys = codec.keyLen(row) + costModel.extraKeys();
    long bytes = 4L * codec.queryLen(row) * keys;
    if (bytes <= maxMapBytes) {
      return null;
    }
    return "its attention map would be "
        + (bytes >> 20)
        + " MiB per row ("
        + codec.queryLen(row)
        + " x "
        + keys
        + " floats), more than the "
        + (maxMapBytes >> 20)
        + " MiB an executor can hold (a sixth of its memory); set maps=none for such sequences or"
        + " raise spark.executor.memory";
  }
}
