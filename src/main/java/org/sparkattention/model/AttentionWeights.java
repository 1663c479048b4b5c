package org.sparkattention.model;

import java.io.Serializable;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;

/**
 * The weights of one PyTorch {@code nn.MultiheadAttention} layer, immutable and shape-checked.
 *
 * <p>Matrices are MLlib {@link DenseMatrix} in PyTorch's (out, in) orientation, stored
 * column-major: {@code qWeight} is E x E, {@code kWeight} E x kdim, {@code vWeight} E x vdim,
 * {@code outWeight} E x E. Biases are length-E vectors, or {@code null} when the layer has none.
 * Accessors return copies, so a caller can never change a broadcast instance.
 */
public final class AttentionWeights implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int embedDim;
  private final int kdim;
  private final int vdim;
  private final DenseMatrix qWeight;
  private final DenseMatrix kWeight;
  private final DenseMatrix vWeight;
  private final DenseMatrix outWeight;
  private final double[] qBias;
  private final double[] kBias;
  private final double[] vBias;
  private final double[] outBias;
  private final double[] biasK;
  private final double[] biasV;

  /**
   * Builds checked weights. Bias arrays are all present or all {@code null}; {@code biasK} and
   * {@code biasV} are both present ({@code add_bias_kv}) or both {@code null}. Arguments are
   * copied, not kept.
   */
  public AttentionWeights(
      DenseMatrix qWeight,
      DenseMatrix kWeight,
      DenseMatrix vWeight,
      double[] qBias,
      double[] kBias,
      double[] vBias,
      DenseMatrix outWeight,
      double[] outBias,
      double[] biasK,
      double[] biasV) {
    this.embedDim = qWeight.numRows();
    this.kdim = kWeight.numCols();
    this.vdim = vWeight.numCols();
    int e = embedDim;
    requireShape("q_proj_weight", qWeight, e, e);
    requireShape("k_proj_weight", kWeight, e, kdim);
    requireShape("v_proj_weight", vWeight, e, vdim);
    requireShape("out_proj.weight", outWeight, e, e);
    boolean hasBias = qBias != null;
    if (hasBias != (kBias != null) || hasBias != (vBias != null) || hasBias != (outBias != null)) {
      throw UserErrors.biasesIncomplete();
    }
    if ((biasK == null) != (biasV == null)) {
      throw UserErrors.biasKvIncomplete();
    }
    if (hasBias) {
      requireLength("q bias", qBias, e);
      requireLength("k bias", kBias, e);
      requireLength("v bias", vBias, e);
      requireLength("out_proj.bias", outBias, e);
    }
    if (biasK != null) {
      requireLength("bias_k", biasK, e);
      requireLength("bias_v", biasV, e);
    }
    this.qWeight = columnMajorCopy(qWeight);
    this.kWeight = columnMajorCopy(kWeight);
    this.vWeight = columnMajorCopy(vWeight);
    this.outWeight = columnMajorCopy(outWeight);
    this.qBias = copy(qBias);
    this.kBias = copy(kBias);
    this.vBias = copy(vBias);
    this.outBias = copy(outBias);
    this.biasK = copy(biasK);
    this.biasV = copy(biasV);
  }

  /**
   * Maps a PyTorch {@code nn.MultiheadAttention} {@code state_dict} saved as safetensors to
   * weights. {@code prefix} selects one layer in a larger checkpoint ({@code "encoder.attn"} or
   * {@code "encoder.attn."}); empty for a file holding just the layer.
   *
   * @throws AttentionException (WEIGHTS) naming the tensor, the expected and the actual shape
   */
  public static AttentionWeights fromStateDict(SafetensorsFile file, String prefix) {
    String p =
        prefix == null || prefix.isEmpty() || prefix.endsWith(".")
            ? nullToEmpty(prefix)
            : prefix + ".";
    TensorReader r = new TensorReader(file, p);
    DenseMatrix outWeight = r.matrix("out_proj.weight", -1, -1);
    int e = outWeight.numRows();
    if (outWeight.numCols() != e) {
      throw r.shapeError("out_proj.weight", "(E, E)", file.info(p + "out_proj.weight"));
    }
    DenseMatrix q;
    DenseMatrix k;
    DenseMatrix v;
    if (r.has("in_proj_weight")) {
      DenseMatrix packed = r.matrix("in_proj_weight", 3 * e, e);
      q = rows(packed, 0, e);
      k = rows(packed, e, e);
      v = rows(packed, 2 * e, e);
    } else if (r.has("q_proj_weight")) {
      q = r.matrix("q_proj_weight", e, e);
      k = r.matrix("k_proj_weight", e, -1);
      v = r.matrix("v_proj_weight", e, -1);
    } else {
      throw UserErrors.inProjectionMissing(p, file.source(), r.hint("in_proj_weight"));
    }
    double[] qb = null;
    double[] kb = null;
    double[] vb = null;
    double[] ob = null;
    boolean hasInBias = r.has("in_proj_bias");
    boolean hasOutBias = r.has("out_proj.bias");
    if (hasInBias || hasOutBias) {
      double[] inBias = r.vector(hasInBias ? "in_proj_bias" : missing(r, "in_proj_bias"), 3 * e);
      qb = Arrays.copyOfRange(inBias, 0, e);
      kb = Arrays.copyOfRange(inBias, e, 2 * e);
      vb = Arrays.copyOfRange(inBias, 2 * e, 3 * e);
      ob = r.vector(hasOutBias ? "out_proj.bias" : missing(r, "out_proj.bias"), e);
    }
    double[] bk = null;
    double[] bv = null;
    if (r.has("bias_k") || r.has("bias_v")) {
      bk = r.biasKv(r.has("bias_k") ? "bias_k" : missing(r, "bias_k"), e);
      bv = r.biasKv(r.has("bias_v") ? "bias_v" : missing(r, "bias_v"), e);
    }
    return new AttentionWeights(q, k, v, qb, kb, vb, outWeight, ob, bk, bv);
  }

  /** Reads {@code location} (local path or Hadoop URI) and maps it with {@link #fromStateDict}. */
  public static AttentionWeights load(String location, String prefix) {
    return fromStateDict(SafetensorsFile.read(location), prefix);
  }

  private static String missing(TensorReader r, String name) {
    throw UserErrors.companionTensorMissing(r.prefix + name, r.file.source());
  }

  /** Reads named tensors under a prefix, checking shapes. */
  private static final class TensorReader {
    final SafetensorsFile file;
    final String prefix;

    TensorReader(SafetensorsFile file, String prefix) {
      this.file = file;
      this.prefix = prefix;
    }

    boolean has(String name) {
      return file.info(prefix + name) != null;
    }

    SafetensorsFile.TensorInfo require(String name) {
      SafetensorsFile.TensorInfo t = file.info(prefix + name);
      if (t == null) {
        throw UserErrors.layerTensorMissing(prefix + name, file.source(), hint(name));
      }
      return t;
    }

    String hint(String name) {
      String found =
          file.tensors().keySet().stream()
              .filter(n -> n.endsWith(name))
              .limit(5)
              .collect(Collectors.joining("', '"));
      return found.isEmpty() ? "" : " Tensors with that suffix: '" + found + "'.";
    }

    /** A 2-d tensor; {@code -1} for a dimension that may be any size. */
    DenseMatrix matrix(String name, int rows, int cols) {
      SafetensorsFile.TensorInfo t = require(name);
      long[] s = t.shape();
      String expected =
          "(" + (rows < 0 ? "E" : rows) + ", " + (cols < 0 ? "any" : String.valueOf(cols)) + ")";
      if (s.length != 2
          || s[0] == 0
          || s[1] == 0
          || (rows >= 0 && s[0] != rows)
          || (cols >= 0 && s[1] != cols)) {
        throw shapeError(name, expected, t);
      }
      // Row-major (out, in) data read as column-major is the transpose; flag it as such.
      double[] values = requireFinite(name, file.readDoubles(prefix + name), s);
      return new DenseMatrix((int) s[0], (int) s[1], values, true);
    }

    double[] vector(String name, int length) {
      SafetensorsFile.TensorInfo t = require(name);
      if (t.shape().length != 1 || t.shape()[0] != length) {
        throw shapeError(name, "(" + length + ",)", t);
      }
      return requireFinite(name, file.readDoubles(prefix + name), t.shape());
    }

    double[] biasKv(String name, int e) {
      SafetensorsFile.TensorInfo t = require(name);
      long[] s = t.shape();
      if (s.length != 3 || s[0] != 1 || s[1] != 1 || s[2] != e) {
        throw shapeError(name, "(1, 1, " + e + ")", t);
      }
      return requireFinite(name, file.readDoubles(prefix + name), s);
    }

    /**
     * {@code values} (row-major, of {@code shape}) when all are finite: one NaN or infinity in a
     * weight makes every output it touches NaN or infinite.
     */
    double[] requireFinite(String name, double[] values, long[] shape) {
      for (int i = 0; i < values.length; i++) {
        if (!Double.isFinite(values[i])) {
          StringBuilder index = new StringBuilder();
          long rest = i;
          for (int d = shape.length - 1; d >= 0; d--) {
            index.insert(0, (d > 0 ? ", " : "") + rest % shape[d]);
            rest /= shape[d];
          }
          throw UserErrors.tensorNotFinite(
              prefix + name, file.source(), values[i], String.valueOf(index));
        }
      }
      return values;
    }

    AttentionException shapeError(String name, String expected, SafetensorsFile.TensorInfo t) {
      return UserErrors.tensorShape(
          prefix + name, file.source(), t.shapeString(), String.valueOf(expected));
    }
  }

  private static DenseMatrix rows(DenseMatrix m, int first, int count) {
    int cols = m.numCols();
    double[] v = new double[count * cols];
    for (int j = 0; j < cols; j++) {
      for (int i = 0; i < count; i++) {
        v[i + j * count] = m.apply(first + i, j);
      }
    }
    return new DenseMatrix(count, cols, v);
  }

  private static DenseMatrix columnMajorCopy(DenseMatrix m) {
    if (!m.isTransposed()) {
      return new DenseMatrix(m.numRows(), m.numCols(), m.values().clone());
    }
    return rows(m, 0, m.numRows());
  }

  private static void requireShape(String name, DenseMatrix m, int rows, int cols) {
    if (m.numRows() != rows || m.numCols() != cols || rows == 0 || cols == 0) {
      throw UserErrors.matrixShape(name, m.numRows(), m.numCols(), rows, cols);
    }
  }

  private static void requireLength(String name, double[] v, int length) {
    if (v.length != length) {
      throw UserErrors.vectorLength(name, v.length, length);
    }
  }

  private static double[] copy(double[] v) {
    return v == null ? null : v.clone();
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  /** Embedding dimension E (query width and output width). */
  public int embedDim() {
    return embedDim;
  }

  /** Key width kdim. */
  public int kdim() {
    return kdim;
  }

  /** Value width vdim. */
  public int vdim() {
    return vdim;
  }

  /** Whether the layer has in-projection and out_proj biases. */
  public boolean hasBias() {
    return qBias != null;
  }

  /** Whether the layer has {@code bias_k} and {@code bias_v} ({@code add_bias_kv=True}). */
  public boolean hasBiasKv() {
    return biasK != null;
  }

  /** W_q, E x E. */
  public DenseMatrix qWeight() {
    return columnMajorCopy(qWeight);
  }

  /** W_k, E x kdim. */
  public DenseMatrix kWeight() {
    return columnMajorCopy(kWeight);
  }

  /** W_v, E x vdim. */
  public DenseMatrix vWeight() {
    return columnMajorCopy(vWeight);
  }

  /** out_proj.weight, E x E. */
  public DenseMatrix outWeight() {
    return columnMajorCopy(outWeight);
  }

  /** b_q, length E, or null without bias. */
  public double[] qBias() {
    return copy(qBias);
  }

  /** b_k, length E, or null without bias. */
  public double[] kBias() {
    return copy(kBias);
  }

  /** b_v, length E, or null without bias. */
  public double[] vBias() {
    return copy(vBias);
  }

  /** out_proj.bias, length E, or null without bias. */
  public double[] outBias() {
    return copy(outBias);
  }

  /** bias_k, length E, or null without add_bias_kv. */
  public double[] biasK() {
    return copy(biasK);
  }

  /** bias_v, length E, or null without add_bias_kv. */
  public double[] biasV() {
    return copy(biasV);
  }
}
