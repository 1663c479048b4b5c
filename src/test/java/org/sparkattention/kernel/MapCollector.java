package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Collects what a map pass hands out into whole maps: heads x L x S', row-major. */
final class MapCollector implements AttentionMapConsumer {
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

  @Override
  public void accept(int head, int queryStart, int queryCount, int keys, double[] rows) {
    assertEquals(keyCount, keys, "keyCount");
    double[] dst = head < 0 ? mean : heads;
    int base = (head < 0 ? 0 : head * queryLen * keyCount) + queryStart * keyCount;
    System.arraycopy(rows, 0, dst, base, queryCount * keyCount);
  }

  static MapCollector collect(
      BlockedAttentionKernel kernel, AttentionWorkspace ws, int queryLen, int keyCount) {
    MapCollector c = new MapCollector(kernel.numHeads(), queryLen, keyCount);
    kernel.maps(ws, MapMode.HEADS, c);
    kernel.maps(ws, MapMode.MEAN, c);
    return c;
  }
}
