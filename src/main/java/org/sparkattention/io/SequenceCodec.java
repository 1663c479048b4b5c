package org.sparkattention.io;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.unsafe.types.UTF8String;
import org.sparkattention.kernel.ExactSizeArrays;

/**
 * Reads one input row's sequences straight from Spark's internal row (no boxing: an inner array is
 * copied as a primitive array) and checks it: {@link #badRowReason} names what is wrong with a row,
 * {@link #query}, {@link #key}, {@link #value} and {@link #keyPaddingMask} decode a good one.
 */
public final class SequenceCodec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final InputLayout layout;

  public SequenceCodec(InputLayout layout) {
    this.layout = layout;
  }

  public InputLayout layout() {
    return layout;
  }

  /**
   * The row's id as text for a one-line message, as readers show it: binary as hex ({@code
   * 0x0a1b}), control characters such as a newline escaped ({@code \n}, {@code \u0007}).
   */
  public String id(InternalRow row) {
    if (row.isNullAt(layout.idOrdinal)) {
      return "null";
    }
    DataType t = layout.schema.fields()[layout.idOrdinal].dataType();
    Object value = CatalystTypeConverters.convertToScala(row.get(layout.idOrdinal, t), t);
    if (value instanceof byte[] bytes) {
      return "0x" + HexFormat.of().formatHex(bytes);
    }
    return escapeControl(String.valueOf(value));
  }

  /** {@code text} with control characters escaped, so that it stays on one line. */
  static String escapeControl(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (Character.isISOControl(c)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  /** L, the number of query tokens of a good row. */
  public int queryLen(InternalRow row) {
    return row.getArray(layout.queryOrdinal).numElements();
  }

  /** S, the number of key tokens of a good row. */
  public int keyLen(InternalRow row) {
    return row.getArray(layout.keyOrdinal).numElements();
  }

  /** The longest file or directory name most file systems allow, in bytes. */
  static final int MAX_NAME_BYTES = 255;

  /**
   * Why a string partition value cannot be a directory name: Spark writes it as {@code
   * column=value} with reserved characters escaped as {@code %XX}, and a name over {@value
   * #MAX_NAME_BYTES} bytes fails the whole write.
   */
  private String partitionReason(InternalRow row) {
    for (int ord : layout.stringPartitionOrdinals) {
      if (row.isNullAt(ord)) {
        continue;
      }
      String column = layout.schema.fields()[ord].name();
      UTF8String value = row.getUTF8String(ord);
      // Escaping at most triples a byte: short values need no count.
      if (column.length() * 3 + 1 + 3 * value.numBytes() <= MAX_NAME_BYTES) {
        continue;
      }
      int bytes = directoryNameBytes(column, value);
      if (bytes > MAX_NAME_BYTES) {
        return "its partition.by column '"
            + column
            + "' holds a value that makes a directory name of "
            + bytes
            + " bytes (column=value, escaped), more than the "
            + MAX_NAME_BYTES
            + " a file system allows (in bad.rows.output the value is null); shorten the value or"
            + " partition by another column";
      }
    }
    return null;
  }

  /**
   * The bytes of the partition directory name {@code column=value}, escaped as Spark does: its
   * reserved characters (all ASCII, one byte each) become {@code %XX}, three bytes.
   */
  static int directoryNameBytes(String column, UTF8String value) {
    return escapedBytes(column.getBytes(StandardCharsets.UTF_8))
        + 1
        + escapedBytes(value.getBytes());
  }

  private static int escapedBytes(byte[] utf8) {
    int n = utf8.length;
    for (byte b : utf8) {
      // Bytes of multi-byte characters are negative here and never escaped.
      if (b >= 0 && (b < 0x20 || b == 0x7F || ESCAPED.indexOf(b) >= 0)) {
        n += 2;
      }
    }
    return n;
  }

  /** The printable ASCII characters Spark escapes in partition directory names. */
  private static final String ESCAPED = "\"#%'*/:=?\\{[]^";

  /**
   * Why the row cannot be computed, or {@code null} when it can: a null id, a null or empty
   * sequence, ragged token rows, a width that does not fit the weights, a null, NaN or infinite
   * value, key and value of different lengths, a mask of the wrong length.
   */
  public String badRowReason(InternalRow row) {
    if (row.isNullAt(layout.idOrdinal)) {
      return "the id column '" + layout.idColumn + "' is null";
    }
    String partition = partitionReason(row);
    if (partition != null) {
      return partition;
    }
    String reason =
        matrixReason(
            row, layout.queryOrdinal, layout.queryColumn, layout.embedDim, layout.queryIsFloat);
    if (reason != null || layout.selfAttention) {
      return reason != null ? reason : maskReason(row);
    }
    reason = matrixReason(row, layout.keyOrdinal, layout.keyColumn, layout.kdim, layout.keyIsFloat);
    if (reason != null) {
      return reason;
    }
    reason =
        matrixReason(
            row, layout.valueOrdinal, layout.valueColumn, layout.vdim, layout.valueIsFloat);
    if (reason != null) {
      return reason;
    }
    int keys = keyLen(row);
    int values = row.getArray(layout.valueOrdinal).numElements();
    if (keys != values) {
      return "key has " + keys + " tokens but value has " + values + "; they must be equal";
    }
    return maskReason(row);
  }

  private static String matrixReason(
      InternalRow row, int ordinal, String column, int width, boolean isFloat) {
    if (row.isNullAt(ordinal)) {
      return "column '" + column + "' is null";
    }
    ArrayData outer = row.getArray(ordinal);
    int n = outer.numElements();
    if (n == 0) {
      return "column '" + column + "' is an empty sequence";
    }
    for (int i = 0; i < n; i++) {
      if (outer.isNullAt(i)) {
        return "column '" + column + "' token " + i + " is null";
      }
      ArrayData inner = outer.getArray(i);
      int w = inner.numElements();
      if (w != width) {
        int first = outer.isNullAt(0) ? -1 : outer.getArray(0).numElements();
        return i > 0 && w != first
            ? "column '"
                + column
                + "' is ragged: token 0 has "
                + first
                + " values, token "
                + i
                + " has "
                + w
            : "column '"
                + column
                + "' token "
                + i
                + " has "
                + w
                + " values, but the weights need "
                + width;
      }
      for (int j = 0; j < w; j++) {
        if (inner.isNullAt(j)) {
          return "column '" + column + "' token " + i + " value " + j + " is null";
        }
        double v = isFloat ? inner.getFloat(j) : inner.getDouble(j);
        if (!Double.isFinite(v)) {
          return "column '" + column + "' token " + i + " value " + j + " is " + v;
        }
      }
    }
    return null;
  }

  private String maskReason(InternalRow row) {
    if (layout.maskOrdinal < 0 || row.isNullAt(layout.maskOrdinal)) {
      return null; // a null mask means no key is masked
    }
    ArrayData mask = row.getArray(layout.maskOrdinal);
    int keys = keyLen(row);
    if (mask.numElements() != keys) {
      return "column '"
          + layout.maskColumn
          + "' has "
          + mask.numElements()
          + " entries but the sequence has "
          + keys
          + " keys";
    }
    for (int j = 0; j < keys; j++) {
      if (mask.isNullAt(j)) {
        return "column '" + layout.maskColumn + "' entry " + j + " is null";
      }
    }
    return null;
  }

  /** The query tokens, L x E, row-major. */
  public DenseMatrix query(InternalRow row) {
    return query(row, null);
  }

  /** The key tokens, S x kdim, row-major; the query matrix itself for self-attention. */
  public DenseMatrix key(InternalRow row, DenseMatrix query) {
    return key(row, query, null);
  }

  /** The value tokens, S x vdim, row-major; the query matrix itself for self-attention. */
  public DenseMatrix value(InternalRow row, DenseMatrix query) {
    return value(row, query, null);
  }

  /** {@link #query(InternalRow)} into {@code buffers}' array for queries (new ones when null). */
  public DenseMatrix query(InternalRow row, DecodeBuffers buffers) {
    return matrix(
        row.getArray(layout.queryOrdinal), layout.embedDim, layout.queryIsFloat, buffers, 0);
  }

  /** {@link #key(InternalRow, DenseMatrix)} into {@code buffers}' array for keys. */
  public DenseMatrix key(InternalRow row, DenseMatrix query, DecodeBuffers buffers) {
    return layout.selfAttention
        ? query
        : matrix(row.getArray(layout.keyOrdinal), layout.kdim, layout.keyIsFloat, buffers, 1);
  }

  /** {@link #value(InternalRow, DenseMatrix)} into {@code buffers}' array for values. */
  public DenseMatrix value(InternalRow row, DenseMatrix query, DecodeBuffers buffers) {
    return layout.selfAttention
        ? query
        : matrix(row.getArray(layout.valueOrdinal), layout.vdim, layout.valueIsFloat, buffers, 2);
  }

  /**
   * One task's arrays for decoded queries, keys and values: a decoded matrix is valid until the
   * next row of its size is decoded with the same buffers. Rows of a shape seen before then
   * allocate nothing (at L = 1024, E = 256 each matrix is a 2 MB array, a humongous object to G1;
   * short sequences of many lengths keep an array per length, {@link ExactSizeArrays}). Not
   * thread-safe.
   */
  public static final class DecodeBuffers {
    // Made on first use: self-attention decodes only the query (each has a 64 KB table).
    private final ExactSizeArrays[] arrays = new ExactSizeArrays[3];

    double[] take(int slot, int size) {
      if (arrays[slot] == null) {
        arrays[slot] = new ExactSizeArrays();
      }
      return arrays[slot].take(size);
    }
  }

  /** The key padding mask ({@code true} = ignored), or null when there is none. */
  public boolean[] keyPaddingMask(InternalRow row) {
    if (layout.maskOrdinal < 0 || row.isNullAt(layout.maskOrdinal)) {
      return null;
    }
    return row.getArray(layout.maskOrdinal).toBooleanArray();
  }

  /** Element by element: no array per token (toFloatArray made one, 1 KB at E = 256). */
  private static DenseMatrix matrix(
      ArrayData outer, int width, boolean isFloat, DecodeBuffers buffers, int slot) {
    int n = outer.numElements();
    double[] values = buffers == null ? new double[n * width] : buffers.take(slot, n * width);
    for (int i = 0; i < n; i++) {
      ArrayData inner = outer.getArray(i);
      int base = i * width;
      if (isFloat) {
        for (int j = 0; j < width; j++) {
          values[base + j] = inner.getFloat(j);
        }
      } else {
        for (int j = 0; j < width; j++) {
          values[base + j] = inner.getDouble(j);
        }
      }
    }
    return new DenseMatrix(n, width, values, true);
  }
}
