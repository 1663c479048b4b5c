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
 * The page being built for one {@code array<array<float>>} column: repetition and definition levels
 * as RLE runs (a few per matrix row), the floats as PLAIN little-endian values that the caller
 * copies in bulk. Matrices (records, repetition level 0) start pages; the levels follow the file
 * schema's list layout, standard or legacy. A full page goes to the row group's page store with
 * empty statistics (no min/max, as a column written with statistics disabled).
 */
public final class MatrixPage {
  private final ColumnDescriptor descriptor;
  private final int maxDef;
  private final int defNull;
  private final int defEmpty;
  private final int defEmptyRow;
  private final LevelRuns repetition;
  private final LevelRuns definition;
  private byte[] values = new byte[1 << 16];
  private int valueBytes;
  private int valueCount;
  private int rowCount;

  public MatrixPage(MessageType fileSchema, String name) {
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
    if (repeatedSeen != 2 || descriptor.getMaxRepetitionLevel() != 2) {
      throw new IllegalStateException("not a list of lists: " + fileSchema);
    }
    maxDef = descriptor.getMaxDefinitionLevel();
    defNull = topOptional ? 0 : -1;
    defEmpty = beforeFirstRepeated;
    defEmptyRow = beforeSecondRepeated;
    repetition = new LevelRuns(2);
    definition = new LevelRuns(maxDef);
  }

  /** A null matrix (a record). */
  public void addNull() {
    if (defNull < 0) {
      throw new IllegalStateException(descriptor + " is required but the row holds null");
    }
    level(0, defNull, 1);
    rowCount++;
  }

  /** An empty matrix (a record). */
  public void addEmpty() {
    level(0, defEmpty, 1);
    rowCount++;
  }

  /**
   * A matrix row of {@code n} floats: the first of its matrix when {@code first}. Returns the
   * offset in {@link #values()} where the caller puts its 4n little-endian bytes; after a matrix's
   * last row, call {@link #endMatrix()}.
   */
  public int addRow(boolean first, int n) {
    int rep = first ? 0 : 1;
    if (n == 0) {
      level(rep, defEmptyRow, 1);
      return valueBytes;
    }
    repetition.add(rep, 1);
    repetition.add(2, n - 1);
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

  /** The value buffer {@link #addRow} reserved space in; valid until the next addRow. */
  public byte[] values() {
    return values;
  }

  /** Ends a non-empty matrix (a record) begun with {@link #addRow}. */
  public void endMatrix() {
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
