package org.sparkattention.io.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputCompressor;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetOutputFormat;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.datasources.OutputWriter;
import org.apache.spark.sql.execution.datasources.parquet.ParquetWriteSupport;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.SparkRows;
import org.sparkattention.io.parquet.FlatPage;
import org.sparkattention.io.parquet.ListPage;
import org.sparkattention.io.parquet.ParquetCompat;
import org.sparkattention.io.parquet.RecordedWrites;
import org.sparkattention.io.parquet.RunPage;
import org.sparkattention.io.parquet.StableFooterFile;
import org.sparkattention.io.parquet.WriterSettings;

/**
 * Writes one Parquet file of rows with float matrices and arrays. The matrix columns and the arrays
 * of floats or ints (the summary statistics) are encoded a page at a time by {@link ListPage}:
 * repetition and definition levels as RLE runs (a few per matrix row or array), the values copied
 * in bulk as PLAIN little-endian values. Every other column goes through Spark's {@code
 * ParquetWriteSupport} as usual. Schema, footer metadata, compression, page and row-group sizes are
 * those Spark's writer would use; pages end at row boundaries and carry an offset index. Matrix and
 * array values get no min/max statistics (no query filters on them). Given columns to take one row
 * per element (the top-k maps), a row holding arrays of them becomes as many file rows.
 */
final class MatrixParquetWriter extends OutputWriter {
  private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  private final String path;
  private final ParquetFileWriter file;
  private final StableFooterFile output;
  private final CodecFactory codecs;
  private final BytesInputCompressor compressor;
  private final ParquetProperties props;
  private final MessageType fileSchema;
  private final Map<String, String> footer;
  private final long rowGroupBytes;

  /** Rows per row group at most ({@code parquet.block.row.count.limit}, Parquet 1.16+). */
  private final int rowGroupRows;

  private final int[] otherOrdinals;
  private final SparkRows otherValues;
  private final MessageType otherSchema;
  private final ParquetWriteSupport otherSupport;

  private final int[] listOrdinals;
  private final ListPage[] lists;

  // Columns taken as arrays, one file row per element (see the constructor), and their pages;
  // without them both are empty.
  private final int[] elementOrdinals;
  private final FlatPage[] elementPages;

  /**
   * With columns taken one row per element: the other columns' writes, made once per row by {@link
   * #otherSupport} through {@link #recordingConsumer} and replayed per element into {@link
   * #otherWriters}; null otherwise.
   */
  private final RecordedWrites otherWrites;

  private final RecordConsumer recordingConsumer;

  private ColumnWriter[] otherWriters;

  /**
   * With columns taken one row per element and every other column flat (the usual id and head):
   * those columns' pages, one run of a value per row ({@link RunPage}) instead of a replay per
   * element; null otherwise.
   */
  private final RunPage[] runPages;

  /** Per list column: whether its values are ints (else floats). */
  private final boolean[] intLists;

  private ColumnChunkPageWriteStore pages;
  private ColumnWriteStore otherColumns;
  private RecordConsumer otherConsumer;
  private long rowsInGroup;

  /** When to measure the buffered bytes again: each row for matrices, rarely for small rows. */
  private long nextSizeCheck;

  private boolean failed;

  /**
   * Whether this writer takes the dataset: without Parquet encryption, every dataset of the job
   * (its matrix and array columns, see {@link #isListOf4ByteValues}, a page at a time; others
   * through Spark's write support; footers the same bytes for the same rows, see StableFooterFile).
   */
  static boolean handles(StructType schema, Configuration conf) {
    return conf.get("parquet.crypto.factory.class") == null;
  }

  MatrixParquetWriter(String path, StructType schema, Configuration conf) {
    this(path, schema, new int[0], conf);
  }

  /**
   * A writer whose rows hold, at {@code perElement}, arrays of those columns' types (int or float):
   * each such row is one file row per element, its other columns repeated (the long-format top-k
   * maps: one row per key, made a head at a time). The elements go to their pages in bulk ({@link
   * FlatPage}), not through a row each; the columns must be required (arrays without nulls).
   */
  MatrixParquetWriter(String path, StructType schema, int[] perElement, Configuration conf) {
    this.path = path;
    try {
      // Spark's write support, given the whole schema, says what Spark's writer would put in
      // the file: its Parquet schema (list layout included) and footer metadata.
      Configuration fileConf = new Configuration(conf);
      ParquetWriteSupport.setSchema(schema, fileConf);
      WriteSupport.WriteContext fileContext = new ParquetWriteSupport().init(fileConf);
      fileSchema = fileContext.getSchema();
      footer = new HashMap<>(fileContext.getExtraMetaData());

      List<StructField> others = new ArrayList<>();
      List<Integer> otherOrds = new ArrayList<>();
      List<Integer> listOrds = new ArrayList<>();
      StructField[] fields = schema.fields();
      Set<Integer> elements = new HashSet<>();
      for (int i : perElement) {
        elements.add(i);
      }
      for (int i = 0; i < fields.length; i++) {
        if (elements.contains(i)) {
          DataType type = fields[i].dataType();
          if (type != DataTypes.IntegerType && type != DataTypes.FloatType) {
            throw new IllegalArgumentException(
                "column "
                    + fields[i].name()
                    + " is "
                    + type
                    + ": one row per element takes ints and floats");
          }
        } else if (isListOf4ByteValues(fields[i].dataType())) {
          listOrds.add(i);
        } else {
          others.add(fields[i]);
          otherOrds.add(i);
        }
      }
      otherOrdinals = otherOrds.stream().mapToInt(Integer::intValue).toArray();
      otherValues = new SparkRows(schema, otherOrdinals);
      listOrdinals = listOrds.stream().mapToInt(Integer::intValue).toArray();
      if (perElement.length > 0 && !listOrds.isEmpty()) {
        throw new IllegalArgumentException("rows of one row per element hold no matrices");
      }
      elementOrdinals = perElement.clone();
      elementPages = new FlatPage[perElement.length];
      for (int c = 0; c < perElement.length; c++) {
        elementPages[c] = new FlatPage(fileSchema, fields[perElement[c]].name());
      }
      Configuration otherConf = new Configuration(conf);
      if (others.isEmpty()) {
        otherSchema = null;
        otherSupport = null;
      } else {
        ParquetWriteSupport.setSchema(DataTypes.createStructType(others), otherConf);
        otherSupport = new ParquetWriteSupport();
        otherSchema = otherSupport.init(otherConf).getSchema();
        String model = otherSupport.getName();
        if (model != null) {
          footer.put(ParquetWriter.OBJECT_MODEL_NAME_PROP, model);
        }
      }
      if (otherSchema != null && perElement.length > 0) {
        otherWrites = new RecordedWrites(otherSchema);
        recordingConsumer =
            new ColumnIOFactory(false).getColumnIO(otherSchema).getRecordWriter(otherWrites);
        otherSupport.prepareForWrite(recordingConsumer);
      } else {
        otherWrites = null;
        recordingConsumer = null;
      }
      if (otherWrites != null && otherWrites.columns().stream().allMatch(RunPage::takes)) {
        runPages = otherWrites.columns().stream().map(RunPage::new).toArray(RunPage[]::new);
      } else {
        runPages = null;
      }

      props = WriterSettings.properties(conf);
      rowGroupBytes = ParquetOutputFormat.getLongBlockSize(conf);
      rowGroupRows = ParquetCompat.rowGroupRowCountLimit(conf);
      lists = new ListPage[listOrdinals.length];
      intLists = new boolean[listOrdinals.length];
      for (int m = 0; m < lists.length; m++) {
        lists[m] = new ListPage(fileSchema, fields[listOrdinals[m]].name());
        intLists[m] =
            ((ArrayType) fields[listOrdinals[m]].dataType()).elementType() == DataTypes.IntegerType;
      }
      codecs = new CodecFactory(conf, props.getPageSizeThreshold());
      compressor = codecs.getCompressor(ParquetOutputFormat.getCompression(conf));
      output = new StableFooterFile(HadoopOutputFile.fromPath(new Path(path), conf));
      file =
          new ParquetFileWriter(
              output,
              fileSchema,
              ParquetFileWriter.Mode.CREATE,
              rowGroupBytes,
              conf.getInt(
                  ParquetOutputFormat.MAX_PADDING_BYTES, ParquetWriter.MAX_PADDING_SIZE_DEFAULT),
              null,
              props);
      file.start();
      startRowGroup();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start Parquet file " + path, e);
    }
  }

  private void startRowGroup() {
    pages =
        new ColumnChunkPageWriteStore(
            compressor,
            fileSchema,
            props.getAllocator(),
            props.getColumnIndexTruncateLength(),
            props.getPageWriteChecksumEnabled());
    if (otherSchema != null && runPages == null) {
      // The other columns' writers feed the file's page store: same column paths.
      otherColumns =
          props.newColumnWriteStore(otherSchema, pages::getPageWriter, pages::getBloomFilterWriter);
      if (otherWrites == null) {
        otherConsumer =
            new ColumnIOFactory(false).getColumnIO(otherSchema).getRecordWriter(otherColumns);
        otherSupport.prepareForWrite(otherConsumer);
      } else {
        otherWriters = new ColumnWriter[otherWrites.columns().size()];
        for (int c = 0; c < otherWriters.length; c++) {
          otherWriters[c] = otherColumns.getColumnWriter(otherWrites.columns().get(c));
        }
      }
    }
    rowsInGroup = 0;
    nextSizeCheck = 1;
  }

  @Override
  public void write(InternalRow row) {
    try {
      if (elementOrdinals.length > 0) {
        writeElements(row);
        return;
      }
      if (otherSupport != null) {
        otherSupport.write(new GenericInternalRow(otherValues.values(row)));
      }
      for (int m = 0; m < lists.length; m++) {
        int ord = listOrdinals[m];
        ListPage column = lists[m];
        ArrayData list = row.isNullAt(ord) ? null : row.getArray(ord);
        if (column.depth() == 2) {
          addMatrix(column, list);
        } else {
          addList(column, list, intLists[m]);
        }
        if (column.pageFull(props)) {
          column.writePage(pages);
        }
      }
      rowsWritten(1);
    } catch (IOException e) {
      failed = true;
      throw new UncheckedIOException("cannot write Parquet file " + path, e);
    } catch (RuntimeException | Error e) {
      failed = true;
      throw e;
    }
  }

  /** One file row per element of the row's arrays, its other columns repeated. */
  private void writeElements(InternalRow row) throws IOException {
    ArrayData[] arrays = new ArrayData[elementOrdinals.length];
    for (int c = 0; c < arrays.length; c++) {
      arrays[c] = row.getArray(elementOrdinals[c]);
      if (arrays[c].numElements() != arrays[0].numElements()) {
        throw new IllegalArgumentException(
            "arrays of one row per element differ in length: "
                + arrays[0].numElements()
                + " and "
                + arrays[c].numElements());
      }
      if (anyNull(arrays[c])) {
        throw new IllegalArgumentException("a column of one row per element holds null");
      }
    }
    if (otherWrites != null) {
      // The same values for every element: converted once, their column writes replayed.
      otherWrites.clear();
      otherSupport.write(new GenericInternalRow(otherValues.values(row)));
      recordingConsumer.flush(); // the nulls of absent groups it holds back until a flush
    }
    int n = arrays[0].numElements();
    // A run of elements at a time: up to the end of the page, the row group or the next size check.
    for (int i = 0; i < n; ) {
      int run =
          (int)
              Math.min(
                  n - i,
                  Math.min(
                      props.getPageRowCountLimit() - elementPages[0].count(),
                      Math.min(rowGroupRows, nextSizeCheck) - rowsInGroup));
      run = Math.max(1, run);
      if (runPages != null) {
        for (int w = 0; w < otherWrites.size(); w++) {
          RunPage page = runPages[otherWrites.column(w)];
          if (otherWrites.isNull(w)) {
            page.addNulls(run);
          } else {
            page.addRun(otherWrites.bits(w), otherWrites.binary(w), run, props);
          }
          if (page.pageFull(props)) {
            page.writePage(pages);
          }
        }
      } else if (otherWrites != null) {
        for (int e = 0; e < run; e++) {
          otherWrites.replay(otherWriters);
          otherColumns.endRecord();
        }
      }
      for (int c = 0; c < arrays.length; c++) {
        FlatPage page = elementPages[c];
        int at = page.reserve(run);
        copyElements(arrays[c], i, run, page.floats(), page.values(), at);
        if (page.pageFull(props)) {
          page.writePage(pages, props);
        }
      }
      i += run;
      rowsWritten(run);
    }
  }

  /** Values {@code from .. from + n} of a null-free array of ints or floats, as int bits. */
  private static void copyElements(
      ArrayData values, int from, int n, boolean floats, int[] out, int at) {
    Objects.checkFromIndexSize(at, n, out.length); // Unsafe copies check no bounds
    if (values instanceof UnsafeArrayData u) {
      Platform.copyMemory(
          u.getBaseObject(),
          u.getBaseOffset()
              + UnsafeArrayData.calculateHeaderPortionInBytes(u.numElements())
              + 4L * from,
          out,
          Platform.INT_ARRAY_OFFSET + 4L * at,
          4L * n);
      return;
    }
    for (int j = 0; j < n; j++) {
      out[at + j] =
          floats ? Float.floatToRawIntBits(values.getFloat(from + j)) : values.getInt(from + j);
    }
  }

  /** Whether an array holds a null: an unsafe array's header null bits, a word per 64 elements. */
  private static boolean anyNull(ArrayData values) {
    if (values instanceof UnsafeArrayData u) {
      long words = (u.numElements() + 63) / 64;
      for (long w = 0; w < words; w++) {
        if (Platform.getLong(u.getBaseObject(), u.getBaseOffset() + 8 + 8 * w) != 0) {
          return true;
        }
      }
      return false;
    }
    for (int i = 0; i < values.numElements(); i++) {
      if (values.isNullAt(i)) {
        return true;
      }
    }
    return false;
  }

  /** Counts n file rows; ends the row group when it is full. */
  private void rowsWritten(int n) throws IOException {
    rowsInGroup += n;
    if (rowsInGroup >= rowGroupRows || (rowsInGroup >= nextSizeCheck && groupFull())) {
      endRowGroup();
      startRowGroup();
    }
  }

  /**
   * Whether a column goes through {@link ListPage}: {@link OutputRows#FLOAT_MATRIX}, or an array of
   * floats or ints (the summary statistics).
   */
  static boolean isListOf4ByteValues(DataType type) {
    if (type.equals(OutputRows.FLOAT_MATRIX)) {
      return true;
    }
    return type instanceof ArrayType a
        && (a.elementType() == DataTypes.FloatType || a.elementType() == DataTypes.IntegerType);
  }

  /** One matrix into its column's page, each row's floats copied in bulk. */
  private static void addMatrix(ListPage page, ArrayData matrix) {
    if (matrix == null) {
      page.addNull();
      return;
    }
    int rows = matrix.numElements();
    if (rows == 0) {
      page.addEmpty();
      return;
    }
    for (int i = 0; i < rows; i++) {
      ArrayData row = matrix.getArray(i);
      int n = row.numElements();
      int at = page.addRow(i == 0, n); // may grow the buffer: ask for it after
      copyValues(row, n, page.values(), at, false);
    }
    page.endRecord();
  }

  /** One array of floats or ints into its column's page: in bulk when it holds no null. */
  private static void addList(ListPage page, ArrayData list, boolean ints) {
    if (list == null) {
      page.addNull();
      return;
    }
    int n = list.numElements();
    if (n == 0) {
      page.addEmpty();
      return;
    }
    if (!anyNull(list)) {
      int at = page.addRow(true, n);
      copyValues(list, n, page.values(), at, ints);
    } else {
      for (int i = 0; i < n; i++) {
        if (list.isNullAt(i)) {
          page.addNullValue(i == 0);
        } else {
          int at = page.addRow(i == 0, 1);
          ListPage.intLittleEndian(page.values(), at, ints ? list.getInt(i) : floatBits(list, i));
        }
      }
    }
    page.endRecord();
  }

  /** The n values of a null-free array as little-endian bytes at {@code out[at]}. */
  private static void copyValues(ArrayData values, int n, byte[] out, int at, boolean ints) {
    // Unsafe copies check no bounds.
    Objects.checkFromIndexSize(at, 4 * n, out.length);
    if (LITTLE_ENDIAN && values instanceof UnsafeArrayData u) {
      Platform.copyMemory(
          u.getBaseObject(),
          u.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(n),
          out,
          Platform.BYTE_ARRAY_OFFSET + at,
          4L * n);
    } else {
      for (int j = 0; j < n; j++) {
        ListPage.intLittleEndian(out, at + 4 * j, ints ? values.getInt(j) : floatBits(values, j));
      }
    }
  }

  private static int floatBits(ArrayData values, int i) {
    return Float.floatToRawIntBits(values.getFloat(i));
  }

  /**
   * Whether the row group has reached its size; sets when to look again, as Parquet's own writer
   * does: half way to the size at the rows' mean size so far, at most 10,000 rows on. Measuring
   * walks every column's buffers, which costs more than writing a small row.
   */
  private boolean groupFull() {
    long bytes = bufferedBytes();
    if (bytes >= rowGroupBytes) {
      return true;
    }
    long rowsToGo = (rowGroupBytes - bytes) * rowsInGroup / Math.max(1, bytes) / 2;
    nextSizeCheck = rowsInGroup + Math.max(1, Math.min(10_000, rowsToGo));
    return false;
  }

  private long bufferedBytes() {
    long bytes = otherColumns == null ? 0 : otherColumns.getBufferedSize();
    if (runPages != null) {
      for (RunPage page : runPages) {
        bytes += page.bufferedBytes(pages);
      }
    }
    for (FlatPage page : elementPages) {
      bytes += page.bufferedBytes(pages);
    }
    for (ListPage column : lists) {
      bytes += column.bufferedBytes(pages);
    }
    return bytes;
  }

  private void endRowGroup() throws IOException {
    try {
      if (rowsInGroup == 0) {
        return;
      }
      if (otherConsumer != null) {
        otherConsumer.flush();
      }
      if (otherColumns != null) {
        otherColumns.flush();
      }
      for (FlatPage page : elementPages) {
        page.endRowGroup(pages, props);
      }
      if (runPages != null) {
        for (RunPage page : runPages) {
          page.endRowGroup(pages);
        }
      }
      for (ListPage column : lists) {
        column.writePage(pages);
      }
      file.startBlock(rowsInGroup);
      pages.flushToFileWriter(file);
      file.endBlock();
    } finally {
      if (otherColumns != null) {
        otherColumns.close();
      }
      pages.close();
    }
  }

  @Override
  public void close() {
    try {
      if (!failed) {
        endRowGroup();
        Map<String, String> metadata = new HashMap<>(footer);
        if (otherSupport != null) {
          metadata.putAll(otherSupport.finalizeWrite().getExtraMetaData());
        }
        output.holdTail();
        file.end(metadata);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot finish Parquet file " + path, e);
    } finally {
      try {
        file.close();
      } catch (IOException e) {
        // Already failing or finished: the task's own outcome is what counts.
      } finally {
        codecs.release();
      }
    }
  }

  @Override
  public String path() {
    return path;
  }
}
