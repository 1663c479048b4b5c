package org.sparkattention.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementation of {@link ExpFunctions}; loaded by reflection only when the {@code
 * jdk.incubator.vector} module is present.
 */
final class VectorExp implements ExpFunctions.Kernel {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;

  @Override
  public double expShifted(
      double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
    int i = 0;
    int bound = SPECIES.loopBound(n);
    DoubleVector acc = DoubleVector.zero(SPECIES);
    for (; i < bound; i += SPECIES.length()) {
      DoubleVector p =
          DoubleVector.fromArray(SPECIES, src, srcOff + i).sub(shift).lanewise(VectorOperators.EXP);
      p.intoArray(dst, dstOff + i);
      acc = acc.add(p);
    }
    double sum = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      double p = Math.exp(src[srcOff + i] - shift);
      dst[dstOff + i] = p;
      sum += p;
    }
    return sum;
  }

  @Override
  public void expShiftedAdd(
      double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
    int i = 0;
    int bound = SPECIES.loopBound(n);
    for (; i < bound; i += SPECIES.length()) {
      DoubleVector p =
          DoubleVector.fromArray(SPECIES, src, srcOff + i).sub(shift).lanewise(VectorOperators.EXP);
      p.add(DoubleVector.fromArray(SPECIES, dst, dstOff + i)).intoArray(dst, dstOff + i);
    }
    for (; i < n; i++) {
      dst[dstOff + i] += Math.exp(src[srcOff + i] - shift);
    }
  }

  @Override
  public double max(double[] a, int off, int n) {
    int i = 0;
    int bound = SPECIES.loopBound(n);
    double m = Double.NEGATIVE_INFINITY;
    if (bound > 0) {
      DoubleVector acc = DoubleVector.broadcast(SPECIES, Double.NEGATIVE_INFINITY);
      for (; i < bound; i += SPECIES.length()) {
        acc = acc.max(DoubleVector.fromArray(SPECIES, a, off + i));
      }
      m = acc.reduceLanes(VectorOperators.MAX);
    }
    for (; i < n; i++) {
      m = Math.max(m, a[off + i]);
    }
    return m;
  }

  @Override
  public String name() {
    return "vector";
  }
}
