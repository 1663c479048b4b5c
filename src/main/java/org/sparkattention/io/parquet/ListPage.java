package org.sparkattention.io.parquet;

import java.io.IOException;
import java.util.Arrays;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.PageWriter;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * The page being built for one list column of 4-byte values: {@code array<array<float>>} (depth 2,
 * a matrix per record) or {@code array<float>} / {@code array<int>} (depth 1). Repetition and
 * definition levels are RLE runs (a few per list of values); the values are PLAIN little-endian,
 * copied in bulk by the caller. Records start pages; the levels follow the file schema's list
 * layout, standard or legacy. A full page goes to the row group's page store with empty statistics
 * (no min/max, as a column written with statistics disabled).
 */
public final class ListPage {
  private final ColumnDescriptor descriptor;
  private final int depth;
  private final int maxDef;
  private final int defNull;
  private final int defEmpty;
  private final int defEmptyRow;

  /** The level of a null value: -1 when values are required. */
  private final int defNullValue;

  private final LevelRuns repetition;
  private final LevelRuns definition;
  private byte[] values = new byte[1 << 16];
  private int valueBytes;
  private int valueCount;
  private int rowCount;

  public ListPage(MessageType fileSchema, String name) {
    ColumnDescriptor found = null;
    for (ColumnDescriptor c : fileSchema.getColumns()) {
      if (c.getPath()[0].equals(name)) {
        found = c;
      }
    }
    if (found == null) {
      throw new IllegalStateException("no column " + name + " in " + fileSchema);
    }
    descriptor = found;
    // Definition level reached at each node of the path: +1 for every non-required node.
    String[] path = descriptor.getPath();
    int def = 0;
    int repeatedSeen = 0;
    int beforeFirstRepeated = -1;
    int beforeSecondRepeated = -1;
    boolean topOptional = false;
    for (int i = 0; i < path.length; i++) {
      Type node = fileSchema.getType(Arrays.copyOf(path, i + 1));
      if (node.isRepetition(Type.Repetition.REPEATED)) {
        if (repeatedSeen == 0) {
          beforeFirstRepeated = def;
        } else {
          beforeSecondRepeated = def;
        }
        repeatedSeen++;
      }
      if (!node.isRepetition(Type.Repetition.REQUIRED)) {
        if (i == 0) {
          topOptional = true;
        }
        def++;
      }
    }
    if (repeatedSeen < 1
        || repeatedSeen > 2
        || descriptor.getMaxRepetitionLevel() != repeatedSeen) {
      throw new IllegalStateException("not a list or a list of lists: " + fileSchema);
    }
    depth = repeatedSeen;
    maxDef = descriptor.getMaxDefinitionLevel();
    defNull = topOptional ? 0 : -1;
    defEmpty = beforeFirstRepeated;
    defEmptyRow = beforeSecondRepeated;
    defNullValue =
        fileSchema.getType(path).isRepetition(Type.Repetition.OPTIONAL) ? maxDef - 1 : -1;
    repetition = new LevelRuns(depth);
    definition = new LevelRuns(maxDef);
  }

  /** 1 for a list of values, 2 for a list of lists. */
  public int depth() {
    return depth;
  }

  /** A null record. */
  public void addNull() {
    if (defNull < 0) {
      throw new IllegalStateException(descriptor + " is required but the row holds null");
    }
    level(0, defNull, 1);
    rowCount++;
  }

  /** An empty list (a record). */
  public void addEmpty() {
    level(0, defEmpty, 1);
    rowCount++;
  }

  /**
   * {@code n} values of a record: a row of its matrix (depth 2; its first row when {@code first}),
   * or its values (depth 1; all at once, or a run at a time with {@code first} on the first run).
   * Returns the offset in {@link #values()} where the caller puts their 4n little-endian bytes;
   * after a record's last values, call {@link #endRecord()}.
   */
  public int addRow(boolean first, int n) {
    // Depth 2: a row after the first repeats the matrix (1); depth 1: a run after the first
    // continues the list (1).
    int rep = first ? 0 : 1;
    if (n == 0) {
      if (depth == 1) {
        return valueBytes; // nothing to add to a list of values
      }
      level(rep, defEmptyRow, 1);
      return valueBytes;
    }
    repetition.add(rep, 1);
    repetition.add(depth, n - 1);
    definition.add(maxDef, n);
    valueCount += n;
    int bytes = Math.multiplyExact(n, 4);
    if (values.length - valueBytes < bytes) {
      values = Arrays.copyOf(values, Math.max(Math.addExact(valueBytes, bytes), 2 * values.length));
    }
    int at = valueBytes;
    valueBytes += bytes;
    return at;
  }

  /** A null value of a list of values (depth 1), its first when {@code first}. */
  public void addNullValue(boolean first) {
    if (depth != 1 || defNullValue < 0) {
      throw new IllegalStateException(descriptor + " holds no null values");
    }
    level(first ? 0 : 1, defNullValue, 1);
  }

  /** The value buffer {@link #addRow} reserved space in; valid until the next addRow. */
  public byte[] values() {
    return values;
  }

  /** Ends a non-empty record begun with {@link #addRow} or {@link #addNullValue}. */
  public void endRecord() {
    rowCount++;
  }

  private void level(int rep, int def, int count) {
    repetition.add(rep, count);
    definition.add(def, count);
    valueCount += count;
  }

  public boolean pageFull(ParquetProperties props) {
    return valueBytes >= props.getPageSizeThreshold()
        || rowCount >= props.getPageRowCountLimit()
        || valueCount >= props.getPageValueCountThreshold();
  }

  public long bufferedBytes(ColumnChunkPageWriteStore pages) {
    return pages.getPageWriter(descriptor).getMemSize() + valueBytes;
  }

  /** Hands the page (if any) to the row group's page store, which compresses and indexes it. */
  public void writePage(ColumnChunkPageWriteStore pages) throws IOException {
    if (rowCount == 0) {
      return;
    }
    byte[] rep = repetition.finish();
    byte[] def = definition.finish();
    byte[] levels = new byte[8 + rep.length + def.length];
    intLittleEndian(levels, 0, rep.length);
    System.arraycopy(rep, 0, levels, 4, rep.length);
    intLittleEndian(levels, 4 + rep.length, def.length);
    System.arraycopy(def, 0, levels, 8 + rep.length, def.length);
    PageWriter writer = pages.getPageWriter(descriptor);
    writer.writePage(
        BytesInput.concat(BytesInput.from(levels), BytesInput.from(values, 0, valueBytes)),
        valueCount,
        rowCount,
        // Empty statistics: the chunk gets none and no column index, like a column written
        // with statistics disabled.
        Statistics.createStats(descriptor.getPrimitiveType()),
        Encoding.RLE,
        Encoding.RLE,
        Encoding.PLAIN);
    valueBytes = 0;
    valueCount = 0;
    rowCount = 0;
  }

  /** {@code v} as 4 little-endian bytes at {@code out[at]}. */
  public static void intLittleEndian(byte[] out, int at, int v) {
    out[at] = (byte) v;
    out[at + 1] = (byte) (v >>> 8);
    out[at + 2] = (byte) (v >>> 16);
    out[at + 3] = (byte) (v >>> 24);
  }
}
