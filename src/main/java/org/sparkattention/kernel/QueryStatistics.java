package org.sparkattention.kernel;

import java.util.Arrays;

/**
 * Per head and query, what an analyst asks of a map row without the row itself, gathered during the
 * forward pass ({@link BlockedAttentionKernel#forward} with statistics): the entropy of the
 * attention weights (nats), the largest weight and its key (the lowest index on ties), the weight
 * on key 0 (the attention sink), the mean distance {@code sum_j p_ij |i - j|}, the log-sum-exp of
 * the row's scaled, masked scores, and the top K keys with their weights.
 *
 * <p>Running sums follow the online softmax: {@code l = sum exp(s - m)}, {@code t = sum exp(s - m)
 * s} and {@code d = sum exp(s - m) |i - j|} are rescaled with the context whenever the running max
 * m moves, so no L x S' matrix and no second {@code QK^T} is needed. At the end, with {@code lse =
 * m + log l}: entropy {@code = lse - t / l}, mean distance {@code = d / l}, a weight {@code = exp(s
 * - lse)}. The top K keys by score are the top K by weight (exp is monotone), kept in rank order
 * per query row. A query that sees no key has entropy 0, weights 0, no argmax, no lse and no top
 * keys.
 *
 * <p>Thread-confined, reused from sequence to sequence like a workspace.
 */
public final class QueryStatistics {
  private final int topK;
  private final int topSlots;
  private final boolean summaries;

  private int heads;
  private int queries;

  // Per row i = h * queries + q; sums holds t at 3i, d at 3i + 1 and the largest score at 3i + 2.
  private int[] argmax = new int[0];
  private double[] firstScore = new double[0];
  private double[] sums = new double[0];
  private double[] rowSum = new double[0];
  private double[] lse = new double[0];

  // Top K per row in rank order (highest score first, lower key first on ties; -infinity in a free
  // slot), topSlots slots from topSlot(i) (see TileLoops#offerTop). Keys are held as
  // doubles, so that they move in the same vectors as their scores.
  private double[] topScores = new double[0];
  private double[] topKeys = new double[0];

  /** Room for a first tile row's floor ({@link TileLoops#topFloor}). */
  private final double[] floorScratch;

  /** Room for the positions of a tile row's values that may enter ({@link TileLoops#offerTop}). */
  private final int[] offerScratch;

  /** A tile row's weights, until they replace its scores (which the moments need first). */
  private double[] rowWeights = new double[0];

  /** {@code topK}: keys kept per query row, 0 for none; every other statistic too. */
  public QueryStatistics(int topK) {
    this(topK, true);
  }

  /**
   * {@code topK} keys per query row; the other statistics (entropy, argmax, key 0, distance) only
   * with {@code summaries}: without them no score is copied and no sum taken beside the softmax's.
   */
  public QueryStatistics(int topK, boolean summaries) {
    if (topK < 0) {
      throw new IllegalArgumentException("topK is " + topK + ", expected 0 or more");
    }
    this.topK = topK;
    this.topSlots = TileLoops.topSlots(topK);
    this.summaries = summaries;
    this.floorScratch = new double[TileLoops.floorScratch(topK)];
    this.offerScratch = new int[TileLoops.offerScratch(topK)];
  }

  /**
   * Resets for a forward pass of {@code heads} heads and {@code queries} queries, in tiles of at
   * most {@code maxTileWidth} keys.
   */
  void start(int heads, int queries, int maxTileWidth) {
    this.heads = heads;
    this.queries = queries;
    int n = heads * queries;
    argmax = n > argmax.length ? new int[n] : argmax;
    firstScore = AttentionWorkspace.ensure(firstScore, n);
    sums = AttentionWorkspace.ensure(sums, 3 * n);
    rowSum = AttentionWorkspace.ensure(rowSum, n);
    lse = AttentionWorkspace.ensure(lse, n);
    topScores = AttentionWorkspace.ensure(topScores, n * topSlots);
    topKeys = AttentionWorkspace.ensure(topKeys, n * topSlots);
    rowWeights = AttentionWorkspace.ensure(rowWeights, maxTileWidth);
    Arrays.fill(argmax, 0, n, -1);
    Arrays.fill(firstScore, 0, n, Double.NEGATIVE_INFINITY);
    for (int i = 0; i < n; i++) {
      sums[3 * i] = 0.0;
      sums[3 * i + 1] = 0.0;
      sums[3 * i + 2] = Double.NEGATIVE_INFINITY;
    }
    Arrays.fill(topScores, 0, n * topSlots, Double.NEGATIVE_INFINITY);
  }

  /** Row i's first top-K slot. */
  private int topSlot(int i) {
    return i * topSlots;
  }

  /**
   * Row {@code tile[at .. at + kn)} of a score tile of head h, query {@code query}, keys k0..,
   * before its exp: key 0's score and the top K. (The largest score comes with the weights.) Called
   * for each row just before its weights, while the row is in the L1 cache: the top-k scan of a
   * whole tile first left the exp to read it back from L2.
   */
  void scores(double[] tile, int at, int kn, int h, int query, int k0) {
    int i = h * queries + query;
    if (summaries && k0 == 0) {
      firstScore[i] = tile[at];
    }
    if (topK > 0) {
      offerTile(tile, at, kn, i, k0);
    }
  }

  /**
   * Offers row i's scores {@code t[at .. at + kn)} (keys k0..) to its top K ({@link
   * TileLoops#offerTop}: most scores are below the entry score and pass a run at a time). While the
   * top K is not full, a floor for the tile's own top K ({@link TileLoops#topFloor}, the K-th
   * largest of 2K or more subset maxima) rules out most of the rest: a lower score is not in the
   * tile's top K, let alone the row's. (The least of K maxima, a looser floor, left 14% more top-k
   * time in an L = 1024 sequence: the entries it lets in cost more than the sort it saves.)
   */
  private void offerTile(double[] t, int at, int kn, int i, int k0) {
    int slot = topSlot(i);
    boolean full = topScores[slot + topK - 1] > Double.NEGATIVE_INFINITY;
    double floor =
        !full && kn >= 8 * topK
            ? TileLoops.topFloor(t, at, kn, topK, floorScratch)
            : Double.NEGATIVE_INFINITY;
    TileLoops.offerTop(
        t, at, kn, k0, floor, topScores, topKeys, slot, topSlots, topK, offerScratch);
  }

  /** Row i's running sums times {@code alpha}: its running max moved. */
  void rescale(int i, double alpha) {
    sums[3 * i] *= alpha;
    sums[3 * i + 1] *= alpha;
  }

  /**
   * Turns tile row {@code tile[at .. at + kn)} of query {@code query} of head h, keys k0.., into
   * {@code p = exp(s - shift)} with the row's current shift, adding {@code p s} and {@code p |query
   * - key|} to the row's sums and moving its largest score and key (the lowest on ties: keys come
   * in increasing order) to any score above it; returns the sum of p.
   */
  double weights(double[] tile, int at, int kn, int h, int query, int k0, double shift) {
    // One call of the exp for both modes, so that their weights come from the same JIT state of
    // it: in place, or beside the scores, which the moments read before the weights replace them
    // (a copy of the scores was about 0.5 ms of the summaries' 6.6 in an L = 1024 sequence).
    double sum =
        TileLoops.expShifted(
            tile, at, summaries ? rowWeights : tile, summaries ? 0 : at, kn, shift);
    if (summaries) {
      int i = h * queries + query;
      int first =
          TileLoops.momentsReplacingScores(tile, at, rowWeights, 0, kn, k0 - query, sums, 3 * i);
      if (first >= 0) {
        argmax[i] = k0 + first;
      }
    }
    return sum;
  }

  /** The rows' final sums l (same shift as t and d). */
  void rowSums(int h, int q0, int qn, double[] l) {
    System.arraycopy(l, 0, rowSum, h * queries + q0, qn);
  }

  /** The forward pass's log-sum-exp per head and query (H x L, head-major). */
  void finish(double[] forwardLse) {
    System.arraycopy(forwardLse, 0, lse, 0, heads * queries);
  }

  private int row(int h, int q) {
    return h * queries + q;
  }

  /** Whether query q of head h saw any key. */
  public boolean seesKeys(int h, int q) {
    return rowSum[row(h, q)] != 0.0;
  }

  /** Entropy of the weights in nats; 0 for a query that sees no key. */
  public double entropy(int h, int q) {
    requireSummaries();
    int i = row(h, q);
    if (rowSum[i] == 0.0) {
      return 0.0;
    }
    // lse - E_p[s] = -sum p log p; rounding can leave a peaked row a hair below zero.
    return Math.max(0.0, lse[i] - sums[3 * i] / rowSum[i]);
  }

  /** The largest weight; 0 for a query that sees no key. */
  public double maxWeight(int h, int q) {
    requireSummaries();
    int i = row(h, q);
    return rowSum[i] == 0.0 ? 0.0 : Math.exp(sums[3 * i + 2] - lse[i]);
  }

  /** The key of the largest weight (lowest index on ties); -1 for a query that sees no key. */
  public int argmaxKey(int h, int q) {
    requireSummaries();
    int i = row(h, q);
    return rowSum[i] == 0.0 ? -1 : argmax[i];
  }

  /** The weight on key 0; 0 when masked or for a query that sees no key. */
  public double firstKeyWeight(int h, int q) {
    requireSummaries();
    int i = row(h, q);
    return rowSum[i] == 0.0 ? 0.0 : Math.exp(firstScore[i] - lse[i]);
  }

  /** {@code sum_j p_ij |q - j|}; 0 for a query that sees no key. */
  public double meanDistance(int h, int q) {
    requireSummaries();
    int i = row(h, q);
    return rowSum[i] == 0.0 ? 0.0 : sums[3 * i + 1] / rowSum[i];
  }

  /** The log-sum-exp of the row's scaled, masked scores; -infinity for a query that sees no key. */
  public double lse(int h, int q) {
    return lse[row(h, q)];
  }

  /** Keys kept for query q of head h: K, or fewer when it sees fewer keys. */
  public int topCount(int h, int q) {
    int slot = topSlot(row(h, q));
    int kept = 0;
    while (kept < topK && topScores[slot + kept] > Double.NEGATIVE_INFINITY) {
      kept++;
    }
    return kept;
  }

  /** The key of rank {@code rank} (0 the strongest) of query q of head h. */
  public int topKey(int h, int q, int rank) {
    return (int) topKeys[topSlot(row(h, q)) + rank];
  }

  /** The weight of rank {@code rank} of query q of head h. */
  public double topWeight(int h, int q, int rank) {
    int i = row(h, q);
    return Math.exp(topScores[topSlot(i) + rank] - lse[i]);
  }

  private void requireSummaries() {
    if (!summaries) {
      throw new IllegalStateException("statistics made for the top keys only");
    }
  }

  public int topK() {
    return topK;
  }
}
