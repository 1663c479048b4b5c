package org.sparkattention.io.parquet;

import java.util.Arrays;
import java.util.List;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;

/**
 * A column store that keeps the writes of one record instead of encoding them, to replay them into
 * real column writers as many records. A record writer (Parquet's record API, or Spark's write
 * support on top of it) converts the values once; each replay costs one column write per value.
 * Values are copied when recorded: a writer may reuse its buffers.
 */
public final class RecordedWrites implements ColumnWriteStore {
  private static final byte INT = 0;
  private static final byte LONG = 1;
  private static final byte BOOLEAN = 2;
  private static final byte BINARY = 3;
  private static final byte FLOAT = 4;
  private static final byte DOUBLE = 5;
  private static final byte NULL = 6;

  private final List<ColumnDescriptor> columns;
  private int size;
  private int[] column = new int[8];
  private byte[] kind = new byte[8];
  private long[] bits = new long[8];
  private int[] repetition = new int[8];
  private int[] definition = new int[8];
  private Binary[] binaries = new Binary[8];

  public RecordedWrites(MessageType schema) {
    columns = schema.getColumns();
  }

  /** The columns, in the order {@link #replay} takes their writers. */
  public List<ColumnDescriptor> columns() {
    return columns;
  }

  /** Forgets the recorded writes: the next record starts. */
  public void clear() {
    Arrays.fill(binaries, 0, size, null);
    size = 0;
  }

  /** The recorded writes into {@code writers} (one per column, in {@link #columns} order). */
  public void replay(ColumnWriter[] writers) {
    for (int i = 0; i < size; i++) {
      ColumnWriter w = writers[column[i]];
      int r = repetition[i];
      int d = definition[i];
      switch (kind[i]) {
        case INT -> w.write((int) bits[i], r, d);
        case LONG -> w.write(bits[i], r, d);
        case BOOLEAN -> w.write(bits[i] != 0, r, d);
        case BINARY -> w.write(binaries[i], r, d);
        case FLOAT -> w.write(Float.intBitsToFloat((int) bits[i]), r, d);
        case DOUBLE -> w.write(Double.longBitsToDouble(bits[i]), r, d);
        default -> w.writeNull(r, d);
      }
    }
  }

  /** How many writes the record made. */
  public int size() {
    return size;
  }

  /** Write i's column, by index in {@link #columns}. */
  public int column(int i) {
    return column[i];
  }

  /** Whether write i wrote a null. */
  public boolean isNull(int i) {
    return kind[i] == NULL;
  }

  /**
   * Write i's value as raw bits (an int's or a float's in the low 32, sign-extended), 0 for a
   * binary.
   */
  public long bits(int i) {
    return bits[i];
  }

  /** Write i's binary value, or null. */
  public Binary binary(int i) {
    return binaries[i];
  }

  private void add(int c, byte k, long value, Binary binary, int r, int d) {
    if (size == column.length) {
      int n = 2 * size;
      column = Arrays.copyOf(column, n);
      kind = Arrays.copyOf(kind, n);
      bits = Arrays.copyOf(bits, n);
      repetition = Arrays.copyOf(repetition, n);
      definition = Arrays.copyOf(definition, n);
      binaries = Arrays.copyOf(binaries, n);
    }
    column[size] = c;
    kind[size] = k;
    bits[size] = value;
    binaries[size] = binary;
    repetition[size] = r;
    definition[size] = d;
    size++;
  }

  @Override
  public ColumnWriter getColumnWriter(ColumnDescriptor path) {
    int c = columns.indexOf(path);
    if (c < 0) {
      throw new IllegalArgumentException("no column " + path + " in " + columns);
    }
    return new ColumnWriter() {
      @Override
      public void write(int value, int r, int d) {
        add(c, INT, value, null, r, d);
      }

      @Override
      public void write(long value, int r, int d) {
        add(c, LONG, value, null, r, d);
      }

      @Override
      public void write(boolean value, int r, int d) {
        add(c, BOOLEAN, value ? 1 : 0, null, r, d);
      }

      @Override
      public void write(Binary value, int r, int d) {
        add(c, BINARY, 0, value.copy(), r, d);
      }

      @Override
      public void write(float value, int r, int d) {
        add(c, FLOAT, Float.floatToRawIntBits(value), null, r, d);
      }

      @Override
      public void write(double value, int r, int d) {
        add(c, DOUBLE, Double.doubleToRawLongBits(value), null, r, d);
      }

      @Override
      public void writeNull(int r, int d) {
        add(c, NULL, 0, null, r, d);
      }

      @Override
      public void close() {}

      @Override
      public long getBufferedSizeInMemory() {
        return 0;
      }
    };
  }

  /** A record's end: nothing to do, the writes stay until {@link #clear}. */
  @Override
  public void endRecord() {}

  @Override
  public void flush() {}

  @Override
  public long getAllocatedSize() {
    return 0;
  }

  @Override
  public long getBufferedSize() {
    return 0;
  }

  @Override
  public String memUsageString() {
    return "recorded writes: " + size;
  }

  @Override
  public void close() {}
}
