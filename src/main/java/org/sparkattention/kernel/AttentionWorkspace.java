package org.sparkattention.kernel;

/**
 * The buffers of one task: projections, one score tile, the running softmax state and the per-row
 * log-sum-exp. Buffers grow to the largest sequence seen and are then reused, so the kernel
 * allocates nothing per tile and, after the first long sequence, nothing per sequence but its
 * output (nor that with {@link #reuseOutputs}). Thread-confined: one workspace per task thread.
 */
public final class AttentionWorkspace {
  private final Thread owner = Thread.currentThread();

  // Projections and context, head-major: head h is a headDim x n column-major block (n = L or S');
  // the keys' block is its transpose, S' x headDim (keys-major).
  double[] q = new double[0];
  double[] k = new double[0];
  double[] v = new double[0];
  double[] ctx = new double[0];

  /** Token-major scratch, E x max(L, S'): a projection before it is split into heads. */
  double[] tokenMajor = new double[0];

  /** One score tile, keys x queries, column-major (query r's scores are contiguous). */
  double[] tile = new double[0];

  /** Running max and sum of the online softmax, one per query row in a block. */
  double[] rowMax = new double[0];

  double[] rowSum = new double[0];

  /** log-sum-exp per head and query (H x L, head-major); -infinity for a fully masked query. */
  double[] lse = new double[0];

  /** Per head, the largest norm of a key token's head part (for the score bounds). */
  double[] maxKeyNorm = new double[0];

  /** Map rows for one query block (queries x S', row-major), and their mean over heads. */
  double[] mapRows = new double[0];

  double[] mapMean = new double[0];

  // The sequence of the last forward pass, for the map pass.
  int queryLen;
  int keyLen;
  int keyLenWithExtras;
  boolean[] keyPaddingMask;
  int fullyMaskedQueries;

  /** Key tiles (per head and query block) visited since the last forward pass began. */
  long keyTilesVisited;

  /** Query blocks (per head) of the last forward pass whose scores needed the running max. */
  int runningMaxBlocks;

  boolean forwardDone;

  /** With {@link #reuseOutputs}: the outputs' values, for the next output of their size. */
  private boolean reuseOutputs;

  private final ExactSizeArrays outputs = new ExactSizeArrays();

  AttentionWorkspace() {}

  /**
   * Makes each forward pass's output matrix this workspace's: valid until the next pass on it. For
   * a caller that is done with each output before the next sequence (the job encodes it at once):
   * sequences of a shape seen before then allocate no L x E array each (at L = 1024, E = 256 a 2 MB
   * array, which G1 allocates as a humongous object in old regions; see {@link ExactSizeArrays}).
   */
  public AttentionWorkspace reuseOutputs() {
    reuseOutputs = true;
    return this;
  }

  /** An array of {@code size} values for a pass's output; its contents are overwritten. */
  double[] outputValues(int size) {
    return reuseOutputs ? outputs.take(size) : new double[size];
  }

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

  /**
   * Key tiles visited (one per head, query block and key tile, in every pass over the keys) since
   * the last forward pass began: under a causal mask, the tiles wholly above the diagonal are not.
   */
  public long keyTilesVisited() {
    return keyTilesVisited;
  }

  /** Doubles held by this workspace's buffers: its working memory is 8 times this. */
  public long bufferedDoubles() {
    return (long) q.length
        + k.length
        + v.length
        + ctx.length
        + tokenMajor.length
        + tile.length
        + rowMax.length
        + rowSum.length
        + lse.length
        + maxKeyNorm.length
        + mapRows.length
        + mapMean.length
        + outputs.keptDoubles();
  }
}
