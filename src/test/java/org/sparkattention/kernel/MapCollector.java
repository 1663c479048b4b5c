package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Collects what a map pass hands out into whole maps: heads x L x S', row-major. */
final class MapCollector {
  final int numHeads;
  final int queryLen;
  final int keyCount;
  final double[] heads;
  final double[] mean;

  MapCollector(int numHeads, int queryLen, int keyCount) {
    this.numHeads = numHeads;
    this.queryLen = queryLen;
    this.keyCount = keyCount;
    this.heads = new double[numHeads * queryLen * keyCount];
    this.mean = new double[queryLen * keyCount];
  }

  /** What collects the mean map into {@link #mean}. */
  AttentionMapConsumer meanConsumer() {
    return into(mean, 0);
  }

  /** Copies blocks into {@code dst} from {@code offset} (a head's L x S' or the mean). */
  private AttentionMapConsumer into(double[] dst, int offset) {
    return (queryStart, queryCount, keys, rows) -> {
      assertEquals(keyCount, keys, "keyCount");
      System.arraycopy(rows, 0, dst, offset + queryStart * keyCount, queryCount * keyCount);
    };
  }

  static MapCollector collect(
      BlockedAttentionKernel kernel, AttentionWorkspace ws, int queryLen, int keyCount) {
    MapCollector c = new MapCollector(kernel.numHeads(), queryLen, keyCount);
    for (int h = 0; h < kernel.numHeads(); h++) {
      kernel.headMap(ws, h, c.into(c.heads, h * queryLen * keyCount));
    }
    kernel.meanMap(ws, c.meanConsumer());
    return c;
  }
}
