package org.sparkattention.kernel;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementation of {@link FixedOrderGemm}: lanes run along C's rows (A's columns
 * are contiguous), each lane one element's fma chain over k in ascending order, so the bits are
 * those of the scalar loops whatever the vector width. Register blocks of four vectors of rows by
 * six columns of B (24 accumulators) with 512-bit vectors (32 registers), by four, two and one for
 * the last columns, of two vectors by six and four columns with narrower ones (16 registers: four
 * vectors would spill, at half the speed), then one vector by four columns; rows past the last
 * whole vector take one more vector (overlapping, its extra lanes dropped), or the scalar loops
 * when m is less than a vector. Loaded by reflection only when the {@code jdk.incubator.vector}
 * module is present.
 */
final class VectorFixedOrderGemm implements FixedOrderGemm.Kernel {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /**
   * k per pass: a packed panel of 4V rows (32 KB with V = 8) and a block's columns of B stay in the
   * L1 cache for the whole pass.
   */
  private static final int K_PASS = 128;

  /** Columns from which a block's rows are packed (read once per block of columns). */
  private static final int PACK_MIN_COLUMNS = 64;

  /** Each thread's panel (tasks run the kernel on their own threads). */
  private static final ThreadLocal<double[]> PANEL =
      ThreadLocal.withInitial(() -> new double[K_PASS * 4 * LANES]);

  /** Whether four-vector blocks are used: they fit the registers of AVX-512 (32), not AVX2's 16. */
  private final boolean wide;

  VectorFixedOrderGemm() {
    this(LANES >= 8);
  }

  /** With the blocks chosen (the tests take both ways on any machine). */
  VectorFixedOrderGemm(boolean wide) {
    this.wide = wide;
  }

  @Override
  public void gemm(
      int m,
      int n,
      int k,
      double alpha,
      double[] a,
      int aOffset,
      int lda,
      double[] b,
      int bOffset,
      int bStrideK,
      int bStrideN,
      boolean accumulate,
      double[] c,
      int cOffset,
      int ldc) {
    // The blocks always add to C: a vector chosen by a branch is not kept in a register, which
    // halved the speed of short chains.
    if (!accumulate) {
      for (int j = 0; j < n; j++) {
        Arrays.fill(c, cOffset + j * ldc, cOffset + j * ldc + m, 0.0);
      }
    }
    // k in passes of K_PASS, in order: each element's chain goes on from C, where the pass before
    // stored it (a double, so the bits are those of one chain); alpha once at the end.
    int p0 = 0;
    do {
      int kc = Math.min(K_PASS, k - p0);
      pass(
          m,
          n,
          kc,
          a,
          aOffset + p0 * lda,
          lda,
          b,
          bOffset + p0 * bStrideK,
          bStrideK,
          bStrideN,
          c,
          cOffset,
          ldc);
      p0 += kc;
    } while (p0 < k);
    scale(c, cOffset, ldc, m, n, alpha);
  }

  /** C += A B over k (at most K_PASS). */
  private void pass(
      int m,
      int n,
      int k,
      double[] a,
      int aOffset,
      int lda,
      double[] b,
      int bOffset,
      int bStrideK,
      int bStrideN,
      double[] c,
      int cOffset,
      int ldc) {
    Operands o = new Operands(k, a, lda, b, bStrideK, c);
    int rowsPerBlock = (wide ? 4 : 2) * LANES;
    // A's rows of a block, copied contiguous once and read for every block of columns: in place
    // they lie lda apart, often a multiple of 4 KB (a power-of-two length or width), so they share
    // a few L1 sets and came from L2 on every read. (Rows a block's height apart are a panel
    // already.)
    boolean packed = n >= PACK_MIN_COLUMNS && m >= rowsPerBlock && lda != rowsPerBlock;
    double[] panel = packed ? PANEL.get() : null;
    Operands blocks = packed ? new Operands(k, panel, rowsPerBlock, b, bStrideK, c) : o;
    int i = 0;
    for (; wide && i + 4 * LANES <= m; i += 4 * LANES) {
      int ap = blockRows(a, aOffset + i, lda, k, rowsPerBlock, panel);
      int j = 0;
      for (; j + 6 <= n; j += 6) {
        fourBySix(blocks, ap, bOffset + j * bStrideN, bStrideN, cOffset + j * ldc + i, ldc);
      }
      if (j + 4 <= n) {
        fourByFour(blocks, ap, bOffset + j * bStrideN, bStrideN, cOffset + j * ldc + i, ldc);
        j += 4;
      }
      if (j + 2 <= n) {
        fourByTwo(blocks, ap, bOffset + j * bStrideN, bStrideN, cOffset + j * ldc + i, ldc);
        j += 2;
      }
      if (j < n) {
        fourByOne(blocks, ap, bOffset + j * bStrideN, cOffset + j * ldc + i);
      }
    }
    for (; !wide && i + 2 * LANES <= m; i += 2 * LANES) {
      int ap = blockRows(a, aOffset + i, lda, k, rowsPerBlock, panel);
      int j = 0;
      for (; j + 6 <= n; j += 6) {
        twoBySix(blocks, ap, bOffset + j * bStrideN, bStrideN, cOffset + j * ldc + i, ldc);
      }
      for (; j + 4 <= n; j += 4) {
        twoByFour(blocks, ap, bOffset + j * bStrideN, bStrideN, cOffset + j * ldc + i, ldc);
      }
      for (; j < n; j++) {
        oneByOne(blocks, ap, bOffset + j * bStrideN, cOffset + j * ldc + i);
        oneByOne(blocks, ap + LANES, bOffset + j * bStrideN, cOffset + j * ldc + i + LANES);
      }
    }
    for (; i + LANES <= m; i += LANES) {
      oneVectorOfRows(o, aOffset + i, bOffset, bStrideN, n, cOffset + i, ldc);
    }
    if (i < m && m >= LANES) {
      tailRows(o, i, m, n, aOffset, bOffset, bStrideN, cOffset, ldc);
    } else if (i < m) {
      FixedOrderGemm.Scalar.rows(
          i, m, n, k, 1.0, a, aOffset, lda, b, bOffset, bStrideK, bStrideN, true, c, cOffset, ldc);
    }
  }

  /**
   * C's rows from c0 (m x n, ldc) times alpha: once, at the end of each value's chain, the same
   * bits as a multiply in the registers. A multiply in the blocks made them too big for Java 25's
   * C2 to compile the 4 x 6 block's vector multiplies (they ran the Vector API's Java fallback).
   */
  private static void scale(double[] c, int c0, int ldc, int m, int n, double alpha) {
    if (alpha == 1.0) {
      return;
    }
    for (int j = 0; j < n; j++) {
      int cj = c0 + j * ldc;
      for (int r = 0; r < m; r++) {
        c[cj + r] *= alpha;
      }
    }
  }

  /**
   * Where a block's rows of A (k rows of {@code width} values, lda apart from a[at]) start for its
   * products: at 0 of the panel they are copied to, or in place without a panel.
   */
  private static int blockRows(double[] a, int at, int lda, int k, int width, double[] panel) {
    if (panel == null) {
      return at;
    }
    for (int p = 0; p < k; p++) {
      System.arraycopy(a, at + p * lda, panel, p * width, width);
    }
    return 0;
  }

  /**
   * Rows first..m of C, past the last whole vector, from one vector over rows m - LANES..m: each
   * lane is its own chain, so the lanes above {@code first} (rows the blocks compute) are computed
   * once more, in a copy, and dropped. A scalar chain per element was a third of the time of a
   * short sequence's score products (26 rows: 3 vectors and 2 scalar rows).
   */
  private static void tailRows(
      Operands o,
      int first,
      int m,
      int n,
      int aOffset,
      int bOffset,
      int bStrideN,
      int cOffset,
      int ldc) {
    int r0 = m - LANES;
    double[] copy = new double[4 * LANES];
    Operands inCopy = new Operands(o.k, o.a, o.lda, o.b, o.bStrideK, copy);
    for (int j = 0; j < n; j += 4) {
      int cols = Math.min(4, n - j);
      for (int q = 0; q < cols; q++) {
        System.arraycopy(o.c, cOffset + (j + q) * ldc + r0, copy, q * LANES, LANES);
      }
      oneVectorOfRows(inCopy, aOffset + r0, bOffset + j * bStrideN, bStrideN, cols, 0, LANES);
      for (int q = 0; q < cols; q++) {
        System.arraycopy(
            copy, q * LANES + first - r0, o.c, cOffset + (j + q) * ldc + first, m - first);
      }
    }
  }

  /** One vector of rows (A's from ap, C's from c0) by the n columns of B from b0. */
  private static void oneVectorOfRows(
      Operands o, int ap, int b0, int bStrideN, int n, int c0, int ldc) {
    int j = 0;
    for (; j + 4 <= n; j += 4) {
      oneByFour(o, ap, b0 + j * bStrideN, bStrideN, c0 + j * ldc, ldc);
    }
    for (; j < n; j++) {
      oneByOne(o, ap, b0 + j * bStrideN, c0 + j * ldc);
    }
  }

  /** What every block of one product shares. */
  private record Operands(int k, double[] a, int lda, double[] b, int bStrideK, double[] c) {}

  /** 4V rows from A's row ap, C's row c0, by the four columns of B from b0, of C from c0. */
  private static void fourByFour(Operands o, int ap, int b0, int bStrideN, int c0, int ldc) {
    double[] a = o.a;
    double[] b = o.b;
    double[] c = o.c;
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    DoubleVector s00 = DoubleVector.fromArray(SPECIES, c, c0);
    DoubleVector s01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
    DoubleVector s02 = DoubleVector.fromArray(SPECIES, c, c0 + 2 * LANES);
    DoubleVector s03 = DoubleVector.fromArray(SPECIES, c, c0 + 3 * LANES);
    DoubleVector s10 = DoubleVector.fromArray(SPECIES, c, c1);
    DoubleVector s11 = DoubleVector.fromArray(SPECIES, c, c1 + LANES);
    DoubleVector s12 = DoubleVector.fromArray(SPECIES, c, c1 + 2 * LANES);
    DoubleVector s13 = DoubleVector.fromArray(SPECIES, c, c1 + 3 * LANES);
    DoubleVector s20 = DoubleVector.fromArray(SPECIES, c, c2);
    DoubleVector s21 = DoubleVector.fromArray(SPECIES, c, c2 + LANES);
    DoubleVector s22 = DoubleVector.fromArray(SPECIES, c, c2 + 2 * LANES);
    DoubleVector s23 = DoubleVector.fromArray(SPECIES, c, c2 + 3 * LANES);
    DoubleVector s30 = DoubleVector.fromArray(SPECIES, c, c3);
    DoubleVector s31 = DoubleVector.fromArray(SPECIES, c, c3 + LANES);
    DoubleVector s32 = DoubleVector.fromArray(SPECIES, c, c3 + 2 * LANES);
    DoubleVector s33 = DoubleVector.fromArray(SPECIES, c, c3 + 3 * LANES);
    int b1 = b0 + bStrideN;
    int b2 = b1 + bStrideN;
    int b3 = b2 + bStrideN;
    for (int p = 0, bp = 0; p < o.k; p++, ap += o.lda, bp += o.bStrideK) {
      DoubleVector a0 = DoubleVector.fromArray(SPECIES, a, ap);
      DoubleVector a1 = DoubleVector.fromArray(SPECIES, a, ap + LANES);
      DoubleVector a2 = DoubleVector.fromArray(SPECIES, a, ap + 2 * LANES);
      DoubleVector a3 = DoubleVector.fromArray(SPECIES, a, ap + 3 * LANES);
      DoubleVector x = DoubleVector.broadcast(SPECIES, b[b0 + bp]);
      s00 = a0.fma(x, s00);
      s01 = a1.fma(x, s01);
      s02 = a2.fma(x, s02);
      s03 = a3.fma(x, s03);
      x = DoubleVector.broadcast(SPECIES, b[b1 + bp]);
      s10 = a0.fma(x, s10);
      s11 = a1.fma(x, s11);
      s12 = a2.fma(x, s12);
      s13 = a3.fma(x, s13);
      x = DoubleVector.broadcast(SPECIES, b[b2 + bp]);
      s20 = a0.fma(x, s20);
      s21 = a1.fma(x, s21);
      s22 = a2.fma(x, s22);
      s23 = a3.fma(x, s23);
      x = DoubleVector.broadcast(SPECIES, b[b3 + bp]);
      s30 = a0.fma(x, s30);
      s31 = a1.fma(x, s31);
      s32 = a2.fma(x, s32);
      s33 = a3.fma(x, s33);
    }
    s00.intoArray(c, c0);
    s01.intoArray(c, c0 + LANES);
    s02.intoArray(c, c0 + 2 * LANES);
    s03.intoArray(c, c0 + 3 * LANES);
    s10.intoArray(c, c1);
    s11.intoArray(c, c1 + LANES);
    s12.intoArray(c, c1 + 2 * LANES);
    s13.intoArray(c, c1 + 3 * LANES);
    s20.intoArray(c, c2);
    s21.intoArray(c, c2 + LANES);
    s22.intoArray(c, c2 + 2 * LANES);
    s23.intoArray(c, c2 + 3 * LANES);
    s30.intoArray(c, c3);
    s31.intoArray(c, c3 + LANES);
    s32.intoArray(c, c3 + 2 * LANES);
    s33.intoArray(c, c3 + 3 * LANES);
  }

  /**
   * 4V rows by six columns: 24 accumulators, 4 vectors of A and one broadcast of B in AVX-512's 32
   * registers; ten loads per 24 fmas, where four columns take eight per 16.
   */
  private static void fourBySix(Operands o, int ap, int b0, int bStrideN, int c0, int ldc) {
    double[] a = o.a;
    double[] b = o.b;
    double[] c = o.c;
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    int c4 = c3 + ldc;
    int c5 = c4 + ldc;
    DoubleVector s00 = DoubleVector.fromArray(SPECIES, c, c0);
    DoubleVector s01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
    DoubleVector s02 = DoubleVector.fromArray(SPECIES, c, c0 + 2 * LANES);
    DoubleVector s03 = DoubleVector.fromArray(SPECIES, c, c0 + 3 * LANES);
    DoubleVector s10 = DoubleVector.fromArray(SPECIES, c, c1);
    DoubleVector s11 = DoubleVector.fromArray(SPECIES, c, c1 + LANES);
    DoubleVector s12 = DoubleVector.fromArray(SPECIES, c, c1 + 2 * LANES);
    DoubleVector s13 = DoubleVector.fromArray(SPECIES, c, c1 + 3 * LANES);
    DoubleVector s20 = DoubleVector.fromArray(SPECIES, c, c2);
    DoubleVector s21 = DoubleVector.fromArray(SPECIES, c, c2 + LANES);
    DoubleVector s22 = DoubleVector.fromArray(SPECIES, c, c2 + 2 * LANES);
    DoubleVector s23 = DoubleVector.fromArray(SPECIES, c, c2 + 3 * LANES);
    DoubleVector s30 = DoubleVector.fromArray(SPECIES, c, c3);
    DoubleVector s31 = DoubleVector.fromArray(SPECIES, c, c3 + LANES);
    DoubleVector s32 = DoubleVector.fromArray(SPECIES, c, c3 + 2 * LANES);
    DoubleVector s33 = DoubleVector.fromArray(SPECIES, c, c3 + 3 * LANES);
    DoubleVector s40 = DoubleVector.fromArray(SPECIES, c, c4);
    DoubleVector s41 = DoubleVector.fromArray(SPECIES, c, c4 + LANES);
    DoubleVector s42 = DoubleVector.fromArray(SPECIES, c, c4 + 2 * LANES);
    DoubleVector s43 = DoubleVector.fromArray(SPECIES, c, c4 + 3 * LANES);
    DoubleVector s50 = DoubleVector.fromArray(SPECIES, c, c5);
    DoubleVector s51 = DoubleVector.fromArray(SPECIES, c, c5 + LANES);
    DoubleVector s52 = DoubleVector.fromArray(SPECIES, c, c5 + 2 * LANES);
    DoubleVector s53 = DoubleVector.fromArray(SPECIES, c, c5 + 3 * LANES);
    int b1 = b0 + bStrideN;
    int b2 = b1 + bStrideN;
    int b3 = b2 + bStrideN;
    int b4 = b3 + bStrideN;
    int b5 = b4 + bStrideN;
    for (int p = 0, bp = 0; p < o.k; p++, ap += o.lda, bp += o.bStrideK) {
      DoubleVector a0 = DoubleVector.fromArray(SPECIES, a, ap);
      DoubleVector a1 = DoubleVector.fromArray(SPECIES, a, ap + LANES);
      DoubleVector a2 = DoubleVector.fromArray(SPECIES, a, ap + 2 * LANES);
      DoubleVector a3 = DoubleVector.fromArray(SPECIES, a, ap + 3 * LANES);
      DoubleVector x = DoubleVector.broadcast(SPECIES, b[b0 + bp]);
      s00 = a0.fma(x, s00);
      s01 = a1.fma(x, s01);
      s02 = a2.fma(x, s02);
      s03 = a3.fma(x, s03);
      x = DoubleVector.broadcast(SPECIES, b[b1 + bp]);
      s10 = a0.fma(x, s10);
      s11 = a1.fma(x, s11);
      s12 = a2.fma(x, s12);
      s13 = a3.fma(x, s13);
      x = DoubleVector.broadcast(SPECIES, b[b2 + bp]);
      s20 = a0.fma(x, s20);
      s21 = a1.fma(x, s21);
      s22 = a2.fma(x, s22);
      s23 = a3.fma(x, s23);
      x = DoubleVector.broadcast(SPECIES, b[b3 + bp]);
      s30 = a0.fma(x, s30);
      s31 = a1.fma(x, s31);
      s32 = a2.fma(x, s32);
      s33 = a3.fma(x, s33);
      x = DoubleVector.broadcast(SPECIES, b[b4 + bp]);
      s40 = a0.fma(x, s40);
      s41 = a1.fma(x, s41);
      s42 = a2.fma(x, s42);
      s43 = a3.fma(x, s43);
      x = DoubleVector.broadcast(SPECIES, b[b5 + bp]);
      s50 = a0.fma(x, s50);
      s51 = a1.fma(x, s51);
      s52 = a2.fma(x, s52);
      s53 = a3.fma(x, s53);
    }
    s00.intoArray(c, c0);
    s01.intoArray(c, c0 + LANES);
    s02.intoArray(c, c0 + 2 * LANES);
    s03.intoArray(c, c0 + 3 * LANES);
    s10.intoArray(c, c1);
    s11.intoArray(c, c1 + LANES);
    s12.intoArray(c, c1 + 2 * LANES);
    s13.intoArray(c, c1 + 3 * LANES);
    s20.intoArray(c, c2);
    s21.intoArray(c, c2 + LANES);
    s22.intoArray(c, c2 + 2 * LANES);
    s23.intoArray(c, c2 + 3 * LANES);
    s30.intoArray(c, c3);
    s31.intoArray(c, c3 + LANES);
    s32.intoArray(c, c3 + 2 * LANES);
    s33.intoArray(c, c3 + 3 * LANES);
    s40.intoArray(c, c4);
    s41.intoArray(c, c4 + LANES);
    s42.intoArray(c, c4 + 2 * LANES);
    s43.intoArray(c, c4 + 3 * LANES);
    s50.intoArray(c, c5);
    s51.intoArray(c, c5 + LANES);
    s52.intoArray(c, c5 + 2 * LANES);
    s53.intoArray(c, c5 + 3 * LANES);
  }

  /**
   * 4V rows by two columns: eight chains keep both fma units busy, where one column's four wait on
   * their latency (a short sequence's n = 26 tokens left two columns of every block to those).
   */
  private static void fourByTwo(Operands o, int ap, int b0, int bStrideN, int c0, int ldc) {
    double[] a = o.a;
    double[] b = o.b;
    double[] c = o.c;
    int c1 = c0 + ldc;
    DoubleVector s00 = DoubleVector.fromArray(SPECIES, c, c0);
    DoubleVector s01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
    DoubleVector s02 = DoubleVector.fromArray(SPECIES, c, c0 + 2 * LANES);
    DoubleVector s03 = DoubleVector.fromArray(SPECIES, c, c0 + 3 * LANES);
    DoubleVector s10 = DoubleVector.fromArray(SPECIES, c, c1);
    DoubleVector s11 = DoubleVector.fromArray(SPECIES, c, c1 + LANES);
    DoubleVector s12 = DoubleVector.fromArray(SPECIES, c, c1 + 2 * LANES);
    DoubleVector s13 = DoubleVector.fromArray(SPECIES, c, c1 + 3 * LANES);
    int b1 = b0 + bStrideN;
    for (int p = 0, bp = 0; p < o.k; p++, ap += o.lda, bp += o.bStrideK) {
      DoubleVector a0 = DoubleVector.fromArray(SPECIES, a, ap);
      DoubleVector a1 = DoubleVector.fromArray(SPECIES, a, ap + LANES);
      DoubleVector a2 = DoubleVector.fromArray(SPECIES, a, ap + 2 * LANES);
      DoubleVector a3 = DoubleVector.fromArray(SPECIES, a, ap + 3 * LANES);
      DoubleVector x = DoubleVector.broadcast(SPECIES, b[b0 + bp]);
      s00 = a0.fma(x, s00);
      s01 = a1.fma(x, s01);
      s02 = a2.fma(x, s02);
      s03 = a3.fma(x, s03);
      x = DoubleVector.broadcast(SPECIES, b[b1 + bp]);
      s10 = a0.fma(x, s10);
      s11 = a1.fma(x, s11);
      s12 = a2.fma(x, s12);
      s13 = a3.fma(x, s13);
    }
    s00.intoArray(c, c0);
    s01.intoArray(c, c0 + LANES);
    s02.intoArray(c, c0 + 2 * LANES);
    s03.intoArray(c, c0 + 3 * LANES);
    s10.intoArray(c, c1);
    s11.intoArray(c, c1 + LANES);
    s12.intoArray(c, c1 + 2 * LANES);
    s13.intoArray(c, c1 + 3 * LANES);
  }

  /** 4V rows by one column. */
  private static void fourByOne(Operands o, int ap, int b0, int c0) {
    double[] a = o.a;
    double[] b = o.b;
    double[] c = o.c;
    DoubleVector s0 = DoubleVector.fromArray(SPECIES, c, c0);
    DoubleVector s1 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
    DoubleVector s2 = DoubleVector.fromArray(SPECIES, c, c0 + 2 * LANES);
    DoubleVector s3 = DoubleVector.fromArray(SPECIES, c, c0 + 3 * LANES);
    for (int p = 0, bp = b0; p < o.k; p++, ap += o.lda, bp += o.bStrideK) {
      DoubleVector x = DoubleVector.broadcast(SPECIES, b[bp]);
      s0 = DoubleVector.fromArray(SPECIES, a, ap).fma(x, s0);
      s1 = DoubleVector.fromArray(SPECIES, a, ap + LANES).fma(x, s1);
      s2 = DoubleVector.fromArray(SPECIES, a, ap + 2 * LANES).fma(x, s2);
      s3 = DoubleVector.fromArray(SPECIES, a, ap + 3 * LANES).fma(x, s3);
    }
    s0.intoArray(c, c0);
    s1.intoArray(c, c0 + LANES);
    s2.intoArray(c, c0 + 2 * LANES);
    s3.intoArray(c, c0 + 3 * LANES);
  }

  /**
   * Two vectors of rows by six columns: 12 accumulators, 2 vectors of A and one broadcast of B in
   * AVX2's 16 registers.
   */
  private static void twoBySix(Operands o, int ap, int b0, int bStrideN, int c0, int ldc) {
    double[] a = o.a;
    double[] b = o.b;
    double[] c = o.c;
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    int c4 = c3 + ldc;
    int c5 = c4 + ldc;
    DoubleVector s00 = DoubleVector.fromArray(SPECIES, c, c0);
    DoubleVector s01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
    DoubleVector s10 = DoubleVector.fromArray(SPECIES, c, c1);
    DoubleVector s11 = DoubleVector.fromArray(SPECIES, c, c1 + LANES);
    DoubleVector s20 = DoubleVector.fromArray(SPECIES, c, c2);
    DoubleVector s21 = DoubleVector.fromArray(SPECIES, c, c2 + LANES);
    DoubleVector s30 = DoubleVector.fromArray(SPECIES, c, c3);
    DoubleVector s31 = DoubleVector.fromArray(SPECIES, c, c3 + LANES);
    DoubleVector s40 = DoubleVector.fromArray(SPECIES, c, c4);
    DoubleVector s41 = DoubleVector.fromArray(SPECIES, c, c4 + LANES);
    DoubleVector s50 = DoubleVector.fromArray(SPECIES, c, c5);
    DoubleVector s51 = DoubleVector.fromArray(SPECIES, c, c5 + LANES);
    int b1 = b0 + bStrideN;
    int b2 = b1 + bStrideN;
    int b3 = b2 + bStrideN;
    int b4 = b3 + bStrideN;
    int b5 = b4 + bStrideN;
    for (int p = 0, bp = 0; p < o.k; p++, ap += o.lda, bp += o.bStrideK) {
      DoubleVector a0 = DoubleVector.fromArray(SPECIES, a, ap);
      DoubleVector a1 = DoubleVector.fromArray(SPECIES, a, ap + LANES);
      DoubleVector x = DoubleVector.broadcast(SPECIES, b[b0 + bp]);
      s00 = a0.fma(x, s00);
      s01 = a1.fma(x, s01);
      x = DoubleVector.broadcast(SPECIES, b[b1 + bp]);
      s10 = a0.fma(x, s10);
      s11 = a1.fma(x, s11);
      x = DoubleVector.broadcast(SPECIES, b[b2 + bp]);
      s20 = a0.fma(x, s20);
      s21 = a1.fma(x, s21);
      x = DoubleVector.broadcast(SPECIES, b[b3 + bp]);
      s30 = a0.fma(x, s30);
      s31 = a1.fma(x, s31);
      x = DoubleVector.broadcast(SPECIES, b[b4 + bp]);
      s40 = a0.fma(x, s40);
      s41 = a1.fma(x, s41);
      x = DoubleVector.broadcast(SPECIES, b[b5 + bp]);
      s50 = a0.fma(x, s50);
      s51 = a1.fma(x, s51);
    }
    s00.intoArray(c, c0);
    s01.intoArray(c, c0 + LANES);
    s10.intoArray(c, c1);
    s11.intoArray(c, c1 + LANES);
    s20.intoArray(c, c2);
    s21.intoArray(c, c2 + LANES);
    s30.intoArray(c, c3);
    s31.intoArray(c, c3 + LANES);
    s40.intoArray(c, c4);
    s41.intoArray(c, c4 + LANES);
    s50.intoArray(c, c5);
    s51.intoArray(c, c5 + LANES);
  }

  /** Two vectors of rows by four columns. */
  private static void twoByFour(Operands o, int ap, int b0, int bStrideN, int c0, int ldc) {
    double[] a = o.a;
    double[] b = o.b;
    double[] c = o.c;
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    DoubleVector s00 = DoubleVector.fromArray(SPECIES, c, c0);
    DoubleVector s01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
    DoubleVector s10 = DoubleVector.fromArray(SPECIES, c, c1);
    DoubleVector s11 = DoubleVector.fromArray(SPECIES, c, c1 + LANES);
    DoubleVector s20 = DoubleVector.fromArray(SPECIES, c, c2);
    DoubleVector s21 = DoubleVector.fromArray(SPECIES, c, c2 + LANES);
    DoubleVector s30 = DoubleVector.fromArray(SPECIES, c, c3);
    DoubleVector s31 = DoubleVector.fromArray(SPECIES, c, c3 + LANES);
    int b1 = b0 + bStrideN;
    int b2 = b1 + bStrideN;
    int b3 = b2 + bStrideN;
    for (int p = 0, bp = 0; p < o.k; p++, ap += o.lda, bp += o.bStrideK) {
      DoubleVector a0 = DoubleVector.fromArray(SPECIES, a, ap);
      DoubleVector a1 = DoubleVector.fromArray(SPECIES, a, ap + LANES);
      DoubleVector x = DoubleVector.broadcast(SPECIES, b[b0 + bp]);
      s00 = a0.fma(x, s00);
      s01 = a1.fma(x, s01);
      x = DoubleVector.broadcast(SPECIES, b[b1 + bp]);
      s10 = a0.fma(x, s10);
      s11 = a1.fma(x, s11);
      x = DoubleVector.broadcast(SPECIES, b[b2 + bp]);
      s20 = a0.fma(x, s20);
      s21 = a1.fma(x, s21);
      x = DoubleVector.broadcast(SPECIES, b[b3 + bp]);
      s30 = a0.fma(x, s30);
      s31 = a1.fma(x, s31);
    }
    s00.intoArray(c, c0);
    s01.intoArray(c, c0 + LANES);
    s10.intoArray(c, c1);
    s11.intoArray(c, c1 + LANES);
    s20.intoArray(c, c2);
    s21.intoArray(c, c2 + LANES);
    s30.intoArray(c, c3);
    s31.intoArray(c, c3 + LANES);
  }

  /** One vector of rows by four columns. */
  private static void oneByFour(Operands o, int ap, int b0, int bStrideN, int c0, int ldc) {
    double[] a = o.a;
    double[] b = o.b;
    double[] c = o.c;
    int b1 = b0 + bStrideN;
    int b2 = b1 + bStrideN;
    int b3 = b2 + bStrideN;
    DoubleVector s0 = DoubleVector.fromArray(SPECIES, c, c0);
    DoubleVector s1 = DoubleVector.fromArray(SPECIES, c, c0 + ldc);
    DoubleVector s2 = DoubleVector.fromArray(SPECIES, c, c0 + 2 * ldc);
    DoubleVector s3 = DoubleVector.fromArray(SPECIES, c, c0 + 3 * ldc);
    for (int p = 0, bp = 0; p < o.k; p++, ap += o.lda, bp += o.bStrideK) {
      DoubleVector x = DoubleVector.fromArray(SPECIES, a, ap);
      s0 = x.fma(DoubleVector.broadcast(SPECIES, b[b0 + bp]), s0);
      s1 = x.fma(DoubleVector.broadcast(SPECIES, b[b1 + bp]), s1);
      s2 = x.fma(DoubleVector.broadcast(SPECIES, b[b2 + bp]), s2);
      s3 = x.fma(DoubleVector.broadcast(SPECIES, b[b3 + bp]), s3);
    }
    s0.intoArray(c, c0);
    s1.intoArray(c, c0 + ldc);
    s2.intoArray(c, c0 + 2 * ldc);
    s3.intoArray(c, c0 + 3 * ldc);
  }

  /** One vector of rows by one column. */
  private static void oneByOne(Operands o, int ap, int b0, int c0) {
    double[] a = o.a;
    double[] b = o.b;
    DoubleVector s = DoubleVector.fromArray(SPECIES, o.c, c0);
    for (int p = 0, bp = b0; p < o.k; p++, ap += o.lda, bp += o.bStrideK) {
      s = DoubleVector.fromArray(SPECIES, a, ap).fma(DoubleVector.broadcast(SPECIES, b[bp]), s);
    }
    s.intoArray(o.c, c0);
  }

  @Override
  public String name() {
    return "vector (" + LANES + " lanes)";
  }
}
