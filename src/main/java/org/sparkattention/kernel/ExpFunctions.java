package org.sparkattention.kernel;

/**
 * exp over contiguous runs of a tile, the softmax's hot loop (one exp per query-key pair, as many
 * as the FLOPs of a head-width dot product). Uses the Vector API's lanewise EXP (an intrinsic,
 * about 4x faster than {@link Math#exp} here) when the JVM runs with {@code --add-modules
 * jdk.incubator.vector}, plain {@link Math#exp} otherwise.
 */
final class ExpFunctions {
  private static final Kernel IMPL = choose();

  interface Kernel {
    /** dst[dstOff + i] = exp(src[srcOff + i] - shift) for i < n; returns their sum. */
    double expShifted(double[] src, int srcOff, double[] dst, int dstOff, int n, double shift);

    /** dst[dstOff + i] += exp(src[srcOff + i] - shift) for i < n. */
    void expShiftedAdd(double[] src, int srcOff, double[] dst, int dstOff, int n, double shift);

    /** max of a[off .. off + n), -infinity when empty. */
    double max(double[] a, int off, int n);

    String name();
  }

  private ExpFunctions() {}

  static double expShifted(
      double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
    return IMPL.expShifted(src, srcOff, dst, dstOff, n, shift);
  }

  static void expShiftedAdd(
      double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
    IMPL.expShiftedAdd(src, srcOff, dst, dstOff, n, shift);
  }

  static double max(double[] a, int off, int n) {
    return IMPL.max(a, off, n);
  }

  /** "vector" or "scalar": which implementation this JVM uses. */
  static String implementation() {
    return IMPL.name();
  }

  private static Kernel choose() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
        && !Boolean.getBoolean("sparkattention.scalarExp")) {
      try {
        return (Kernel)
            Class.forName("org.sparkattention.kernel.VectorExp")
                .getDeclaredConstructor()
                .newInstance();
      } catch (ReflectiveOperationException | LinkageError e) {
        // The module is there but unusable: fall back to the scalar loop.
      }
    }
    return new ScalarExp();
  }

  static final class ScalarExp implements Kernel {
    @Override
    public double expShifted(
        double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        double p = Math.exp(src[srcOff + i] - shift);
        dst[dstOff + i] = p;
        sum += p;
      }
      return sum;
    }

    @Override
    public void expShiftedAdd(
        double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
      for (int i = 0; i < n; i++) {
        dst[dstOff + i] += Math.exp(src[srcOff + i] - shift);
      }
    }

    @Override
    public double max(double[] a, int off, int n) {
      double m = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        m = Math.max(m, a[off + i]);
      }
      return m;
    }

    @Override
    public String name() {
      return "scalar";
    }
  }
}
