package org.sparkattention.io.parquet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageWriter;
import org.apache.parquet.column.statistics.FloatStatistics;
import org.apache.parquet.column.statistics.IntStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * The page being built for one flat, required column of ints or floats whose values the caller adds
 * in bulk (the long-format top-k maps: {@code query}, {@code rank}, {@code key}, {@code weight}, a
 * few million values a second). Parquet's column writers spend most of their time per value (a
 * dictionary lookup, statistics, fallback checks); here a page is encoded at once.
 *
 * <p>Ints that are small indices (0 up to {@link #MAX_DICTIONARY} - 1, as query, rank and key are)
 * are dictionary-encoded (unless dictionaries are turned off) against the identity dictionary
 * {@code 0, 1, .. m}, m the largest value of the row group (written as its dictionary page at the
 * end of the row group): a page is its values themselves, bit-packed or run-length encoded, as a
 * dictionary-encoded page of Parquet's own writer would be ({@link HybridRuns}). From a page
 * holding any other int on, the chunk's pages are PLAIN (as Parquet's writer falls back), and so
 * are floats. Every page carries min/max statistics (so the chunk and its column index do too); no
 * bloom filters.
 */
public final class FlatPage {
  /** Dictionary entries at most: Parquet's default dictionary page size of 1 MB of ints. */
  public static final int MAX_DICTIONARY = 1 << 18;

  private final ColumnDescriptor descriptor;
  private final boolean floats;
  private int[] values = new int[1 << 12];
  private int count;

  /** The largest value of the row group's dictionary-encoded pages; -1 before the first. */
  private int dictionaryMax = -1;

  /**
   * Whether the chunk's pages are PLAIN from here on: once a page cannot use the dictionary, as
   * Parquet's own writer falls back (Spark's vectorized reader misreads a PLAIN page before a
   * dictionary-encoded one in a chunk).
   */
  private boolean fellBack;

  public FlatPage(MessageType fileSchema, String name) {
    Type type = fileSchema.getType(name);
    if (!type.isPrimitive()
        || !type.isRepetition(Type.Repetition.REQUIRED)
        || !(type.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.INT32
            || type.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.FLOAT)) {
      throw new IllegalArgumentException(
          "column " + name + " is " + type + ": a flat page takes required ints or floats");
    }
    descriptor = fileSchema.getColumnDescription(new String[] {name});
    floats = type.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.FLOAT;
  }

  /**
   * Room for {@code n} more values: returns the offset in {@link #values()} where the caller puts
   * them (ints, or floats as their raw int bits).
   */
  public int reserve(int n) {
    if (values.length - count < n) {
      values = Arrays.copyOf(values, Math.max(Math.addExact(count, n), 2 * values.length));
    }
    int at = count;
    count += n;
    return at;
  }

  /** The value buffer {@link #reserve} made room in; valid until the next reserve. */
  public int[] values() {
    return values;
  }

  /** Whether the values are floats (as their raw int bits), else ints. */
  public boolean floats() {
    return floats;
  }

  /** Values (file rows) in the page. */
  public int count() {
    return count;
  }

  public boolean pageFull(ParquetProperties props) {
    return count >= props.getPageRowCountLimit()
        || count >= props.getPageValueCountThreshold()
        || 4L * count >= props.getPageSizeThreshold();
  }

  public long bufferedBytes(ColumnChunkPageWriteStore pages) {
    return pages.getPageWriter(descriptor).getMemSize() + 4L * count;
  }

  /**
   * Hands the page (if any) to the row group's page store, which compresses and indexes it. The
   * encodings are named as Parquet's V1 writer (Spark's) names them: deprecated names, same bytes.
   */
  @SuppressWarnings("deprecation")
  public void writePage(ColumnChunkPageWriteStore pages, ParquetProperties props)
      throws IOException {
    if (count == 0) {
      return;
    }
    PageWriter writer = pages.getPageWriter(descriptor);
    Statistics<?> stats = Statistics.createStats(descriptor.getPrimitiveType());
    BytesInput data;
    Encoding encoding;
    if (floats) {
      float min = Float.intBitsToFloat(values[0]);
      float max = min;
      for (int i = 1; i < count; i++) {
        float v = Float.intBitsToFloat(values[i]);
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      ((FloatStatistics) stats).updateStats(min);
      ((FloatStatistics) stats).updateStats(max);
      data = plain();
      encoding = Encoding.PLAIN;
    } else {
      int min = values[0];
      int max = min;
      for (int i = 1; i < count; i++) {
        min = Math.min(min, values[i]);
        max = Math.max(max, values[i]);
      }
      ((IntStatistics) stats).updateStats(min);
      ((IntStatistics) stats).updateStats(max);
      fellBack |= min < 0 || max >= MAX_DICTIONARY || !props.isDictionaryEnabled(descriptor);
      if (!fellBack) {
        // Indices into the identity dictionary: the bit width, then the RLE/bit-packed runs.
        int bitWidth = 32 - Integer.numberOfLeadingZeros(max);
        data = BytesInput.from(HybridRuns.dictionaryIndices(values, count, bitWidth));
        encoding = Encoding.PLAIN_DICTIONARY;
        dictionaryMax = Math.max(dictionaryMax, max);
      } else {
        data = plain();
        encoding = Encoding.PLAIN;
      }
    }
    // A required flat column has no levels; Parquet's writer names their encoding BIT_PACKED.
    writer.writePage(data, count, count, stats, Encoding.BIT_PACKED, Encoding.BIT_PACKED, encoding);
    count = 0;
  }

  /**
   * Ends the row group's chunk: writes its page, then the identity dictionary its
   * dictionary-encoded pages refer to (the page store puts it first in the chunk).
   */
  @SuppressWarnings("deprecation")
  public void endRowGroup(ColumnChunkPageWriteStore pages, ParquetProperties props)
      throws IOException {
    writePage(pages, props);
    if (dictionaryMax >= 0) {
      byte[] dictionary = new byte[4 * (dictionaryMax + 1)];
      for (int v = 0; v <= dictionaryMax; v++) {
        ListPage.intLittleEndian(dictionary, 4 * v, v);
      }
      pages
          .getPageWriter(descriptor)
          .writeDictionaryPage(
              new DictionaryPage(
                  BytesInput.from(dictionary), dictionaryMax + 1, Encoding.PLAIN_DICTIONARY));
      dictionaryMax = -1;
    }
    fellBack = false;
  }

  /**
   * The values little-endian, in one bulk copy: a loop storing each int's four bytes cost C2 about
   * 0.27 s to compile (twice, once on-stack) in a headline run, and ran slower.
   */
  private BytesInput plain() {
    byte[] out = new byte[4 * count];
    ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(values, 0, count);
    return BytesInput.from(out);
  }
}
