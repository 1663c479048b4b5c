package org.sparkattention.io.parquet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * The page being built for one flat column (no repetition) whose values come in runs: each record
 * written n times over (the carried columns of the long-format top-k maps, one value for all of a
 * head's keys). Parquet's column writers take such a run a value at a time (a dictionary lookup,
 * statistics, level encoders per value); here a run costs one lookup and one statistics update, and
 * is encoded as one RLE run of its dictionary index (and one of its definition level).
 *
 * <p>Values are dictionary-encoded against the row group's dictionary, as Parquet's V1 writer does,
 * until the dictionary passes {@code parquet.dictionary.page.size}; from then on the chunk's pages
 * are PLAIN (each value written n times), as Parquet's writer falls back. Every page carries
 * min/max and null-count statistics. Ints, longs, floats, doubles and binaries (strings, decimals,
 * fixed length); a column of another type is not taken ({@link #takes}).
 */
public final class RunPage {
  private final ColumnDescriptor descriptor;
  private final PrimitiveTypeName type;
  private final int maxDef;

  // The page: definition-level runs, and either dictionary-index runs or PLAIN bytes.
  private final LevelRuns definitions;
  private int[] runIds = new int[64];
  private int[] runCounts = new int[64];
  private int runs;
  private int maxId = -1;
  private byte[] plain = new byte[1024];
  private int plainBytes;
  private int valueCount;
  private Statistics<?> stats;

  // The row group's dictionary: values by first appearance, and their ids.
  private final Map<Object, Integer> ids = new HashMap<>();
  private final List<Object> dictionary = new ArrayList<>();
  private long dictionaryBytes;
  private boolean fellBack;

  /** Whether a page of the row group used the dictionary (else none is written). */
  private boolean dictionaryUsed;

  public RunPage(ColumnDescriptor descriptor) {
    if (!takes(descriptor)) {
      throw new IllegalArgumentException(descriptor + ": not a flat column of a dictionary type");
    }
    this.descriptor = descriptor;
    this.type = descriptor.getPrimitiveType().getPrimitiveTypeName();
    this.maxDef = descriptor.getMaxDefinitionLevel();
    this.definitions = new LevelRuns(maxDef);
    this.stats = Statistics.createStats(descriptor.getPrimitiveType());
  }

  /** Whether this page takes the column: flat, and of a type Parquet dictionary-encodes. */
  public static boolean takes(ColumnDescriptor descriptor) {
    PrimitiveTypeName t = descriptor.getPrimitiveType().getPrimitiveTypeName();
    return descriptor.getMaxRepetitionLevel() == 0
        && descriptor.getMaxDefinitionLevel() <= 1
        && t != PrimitiveTypeName.BOOLEAN
        && t != PrimitiveTypeName.INT96;
  }

  /** {@code n} nulls. */
  public void addNulls(int n) {
    if (maxDef == 0) {
      throw new IllegalStateException(descriptor + " is required but the row holds null");
    }
    definitions.add(0, n);
    stats.incrementNumNulls(n);
    valueCount += n;
  }

  /**
   * {@code n} copies of one value: the raw bits of an int, long, float or double (an int's and a
   * float's in the low 32), or a binary.
   */
  public void addRun(long bits, Binary binary, int n, ParquetProperties props) {
    if (maxDef > 0) {
      definitions.add(maxDef, n);
    }
    valueCount += n;
    Object value = binary != null ? binary : (Object) bits;
    updateStats(bits, binary);
    if (!fellBack) {
      Integer id = ids.get(value);
      if (id == null) {
        id = dictionary.size();
        Object kept = binary != null ? binary.copy() : value;
        ids.put(kept, id);
        dictionary.add(kept);
        dictionaryBytes += plainSize(binary);
        if (dictionaryBytes > props.getDictionaryPageSizeThreshold()
            || !props.isDictionaryEnabled(descriptor)) {
          fallBack();
        }
      }
      if (!fellBack) {
        addIdRun(id, n);
        return;
      }
    }
    for (int i = 0; i < n; i++) {
      appendPlain(bits, binary);
    }
  }

  public boolean pageFull(ParquetProperties props) {
    return valueCount >= props.getPageRowCountLimit()
        || valueCount >= props.getPageValueCountThreshold()
        || plainBytes + 4L * runs >= props.getPageSizeThreshold();
  }

  public long bufferedBytes(ColumnChunkPageWriteStore pages) {
    return pages.getPageWriter(descriptor).getMemSize() + plainBytes + 8L * runs + dictionaryBytes;
  }

  /**
   * Hands the page (if any) to the row group's page store, which compresses and indexes it. The
   * encodings are named as Parquet's V1 writer (Spark's) names them: deprecated names, same bytes.
   */
  @SuppressWarnings("deprecation")
  public void writePage(ColumnChunkPageWriteStore pages) throws IOException {
    if (valueCount == 0) {
      return;
    }
    BytesInput levels = BytesInput.empty();
    if (maxDef > 0) {
      byte[] def = definitions.finish();
      byte[] length = new byte[4];
      ListPage.intLittleEndian(length, 0, def.length);
      levels = BytesInput.concat(BytesInput.from(length), BytesInput.from(def));
    }
    BytesInput data;
    Encoding encoding;
    if (runs > 0) {
      // Dictionary indices: the bit width, then one RLE run per run of values.
      int bitWidth = 32 - Integer.numberOfLeadingZeros(maxId);
      LevelRuns indices = new LevelRuns(maxId);
      for (int r = 0; r < runs; r++) {
        indices.add(runIds[r], runCounts[r]);
      }
      data =
          BytesInput.concat(
              BytesInput.from(new byte[] {(byte) bitWidth}), BytesInput.from(indices.finish()));
      encoding = Encoding.PLAIN_DICTIONARY;
      dictionaryUsed = true;
    } else {
      data = BytesInput.from(Arrays.copyOf(plain, plainBytes));
      encoding = Encoding.PLAIN;
    }
    pages
        .getPageWriter(descriptor)
        .writePage(
            BytesInput.concat(levels, data),
            valueCount,
            valueCount,
            stats,
            Encoding.BIT_PACKED,
            maxDef > 0 ? Encoding.RLE : Encoding.BIT_PACKED,
            encoding);
    runs = 0;
    maxId = -1;
    plainBytes = 0;
    valueCount = 0;
    stats = Statistics.createStats(descriptor.getPrimitiveType());
  }

  /** Ends the row group's chunk: its last page, then the dictionary its pages refer to. */
  @SuppressWarnings("deprecation")
  public void endRowGroup(ColumnChunkPageWriteStore pages) throws IOException {
    writePage(pages);
    if (dictionaryUsed) {
      int at = plainBytes;
      for (Object value : dictionary) {
        appendPlain(value);
      }
      byte[] bytes = Arrays.copyOfRange(plain, at, plainBytes);
      plainBytes = at;
      pages
          .getPageWriter(descriptor)
          .writeDictionaryPage(
              new DictionaryPage(
                  BytesInput.from(bytes), dictionary.size(), Encoding.PLAIN_DICTIONARY));
    }
    ids.clear();
    dictionary.clear();
    dictionaryBytes = 0;
    fellBack = false;
    dictionaryUsed = false;
  }

  /** The page so far becomes PLAIN: its indices turn back into values. */
  private void fallBack() {
    fellBack = true;
    for (int r = 0; r < runs; r++) {
      Object value = dictionary.get(runIds[r]);
      for (int i = 0; i < runCounts[r]; i++) {
        appendPlain(value);
      }
    }
    runs = 0;
    maxId = -1;
    // The pages written before keep their dictionary.
  }

  private void addIdRun(int id, int n) {
    if (runs > 0 && runIds[runs - 1] == id) {
      runCounts[runs - 1] += n;
      return;
    }
    if (runs == runIds.length) {
      runIds = Arrays.copyOf(runIds, 2 * runs);
      runCounts = Arrays.copyOf(runCounts, 2 * runs);
    }
    runIds[runs] = id;
    runCounts[runs] = n;
    runs++;
    maxId = Math.max(maxId, id);
  }

  private void updateStats(long bits, Binary binary) {
    switch (type) {
      case INT32 -> stats.updateStats((int) bits);
      case INT64 -> stats.updateStats(bits);
      case FLOAT -> stats.updateStats(Float.intBitsToFloat((int) bits));
      case DOUBLE -> stats.updateStats(Double.longBitsToDouble(bits));
      default -> stats.updateStats(binary);
    }
  }

  private int plainSize(Binary binary) {
    return switch (type) {
      case INT32, FLOAT -> 4;
      case INT64, DOUBLE -> 8;
      case FIXED_LEN_BYTE_ARRAY -> binary.length();
      default -> 4 + binary.length();
    };
  }

  /** A dictionary value (a Long of raw bits, or a Binary) as PLAIN bytes. */
  private void appendPlain(Object value) {
    appendPlain(value instanceof Long l ? l : 0, value instanceof Binary b ? b : null);
  }

  private void appendPlain(long bits, Binary binary) {
    int size = plainSize(binary);
    if (plain.length - plainBytes < size) {
      plain = Arrays.copyOf(plain, Math.max(plainBytes + size, 2 * plain.length));
    }
    switch (type) {
      case INT32, FLOAT -> ListPage.intLittleEndian(plain, plainBytes, (int) bits);
      case INT64, DOUBLE -> {
        ListPage.intLittleEndian(plain, plainBytes, (int) bits);
        ListPage.intLittleEndian(plain, plainBytes + 4, (int) (bits >>> 32));
      }
      case FIXED_LEN_BYTE_ARRAY -> binary.toByteBuffer().get(plain, plainBytes, size);
      default -> {
        ListPage.intLittleEndian(plain, plainBytes, size - 4);
        binary.toByteBuffer().get(plain, plainBytes + 4, size - 4);
      }
    }
    plainBytes += size;
  }
}
