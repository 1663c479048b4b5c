package org.sparkattention.kernel;

/**
 * The buffers of one task: projections, one score tile, the running softmax state and the
 * per-row log-sum-exp. Buffers grow to the largest sequence seen and are then reused, so the
 * kernel allocates nothing per tile and, after the first long sequence, nothing per sequence but
 * its output. Thread-confined: one workspace per task thread.
 */
public final class AttentionWorkspace {
  private final Thread owner = Thread.currentThread();

  // Projections, token-major (column i is token i): E x L, E x S', E x S', and the context E x L.
  double[] qT = new double[0];
  double[] kT = new double[0];
  double[] vT = new double[0];
  double[] ctxT = new double[0];
  /** One score tile, keys x queries, column-major (query r's scores are contiguous). */
  double[] tile = new double[0];
  /** Running max and sum of the online softmax, one per query row in a block. */
  double[] rowMax = new double[0];

  double[] rowSum = new double[0];
  /** log-sum-exp per head and query (H x L, head-major); -infinity for a fully masked query. */
  double[] lse = new double[0];
  /** Map rows for one query block (queries x S', row-major), and their mean over heads. */
  double[] mapRows = new double[0];

  double[] mapMean = new double[0];

  // The sequence of the last forward pass, for the map pass.
  int queryLen;
  int keyLen;
  int keyLenWithExtras;
  boolean[] keyPaddingMask;
  int fullyMaskedQueries;
  boolean forwardDone;

  AttentionWorkspace() {}

  void checkThread() {
    if (Thread.currentThread() != owner) {
      throw new IllegalStateException(
          "AttentionWorkspace is thread-confined: created on "
              + owner.getName()
              + ", used on "
              + Thread.currentThread().getName());
    }
  }

  static double[] ensure(double[] buf, int size) {
    return buf.length >= size ? buf : new double[size];
  }

  /** Queries of the last forward pass that saw no key at all (zero attention, zero context). */
  public int fullyMaskedQueries() {
    return fullyMaskedQueries;
  }

  /** Doubles held by this workspace's buffers: its working memory is 8 times this. */
  public long bufferedDoubles() {
    return (long) qT.length
        + kT.length
        + vT.length
        + ctxT.length
        + tile.length
        + rowMax.length
        + rowSum.length
        + lse.length
        + mapRows.length
        + mapMean.length;
  }
}
