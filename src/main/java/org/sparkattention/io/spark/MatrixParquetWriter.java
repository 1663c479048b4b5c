package org.sparkattention.io.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.PageWriter;
import org.apache.parquet.column.statistics.Statistics;
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
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.datasources.OutputWriter;
import org.apache.spark.sql.execution.datasources.parquet.ParquetWriteSupport;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.sparkattention.io.OutputRows;

/**
 * Writes one Parquet file of rows with float matrices. The matrix columns are encoded a page at a
 * time: repetition and definition levels as RLE runs (a few per matrix row), the floats copied in
 * bulk as PLAIN little-endian values. Every other column goes through Spark's {@code
 * ParquetWriteSupport} as usual. Schema, footer metadata, compression, page and row-group sizes are
 * those Spark's writer would use; pages end at row boundaries and carry an offset index. Matrix
 * values get no min/max statistics (no query filters on them).
 */
final class MatrixParquetWriter extends OutputWriter {
  private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  private final String path;
  private final ParquetFileWriter file;
  private final CodecFactory codecs;
  private final BytesInputCompressor compressor;
  private final ParquetProperties props;
  private final MessageType fileSchema;
  private final Map<String, String> footer;
  private final long rowGroupBytes;

  /** Rows per row group at most ({@code parquet.block.row.count.limit}, Parquet 1.16+). */
  private final int rowGroupRows;

  private final int[] otherOrdinals;
  private final DataType[] otherTypes;
  private final MessageType otherSchema;
  private final ParquetWriteSupport otherSupport;
  private final int[] matrixOrdinals;
  private final MatrixColumn[] matrices;

  private ColumnChunkPageWriteStore pages;
  private ColumnWriteStore otherColumns;
  private RecordConsumer otherConsumer;
  private long rowsInGroup;
  private boolean failed;

  /**
   * Whether this writer takes the dataset: it has a matrix column ({@link OutputRows#FLOAT_MATRIX},
   * {@code array<array<float>>} without nulls inside) and no Parquet encryption.
   */
  static boolean handles(StructType schema, Configuration conf) {
    return conf.get("parquet.crypto.factory.class") == null
        && Arrays.stream(schema.fields())
            .anyMatch(f -> f.dataType().equals(OutputRows.FLOAT_MATRIX));
  }

  MatrixParquetWriter(String path, StructType schema, Configuration conf) {
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
      List<Integer> matrixOrds = new ArrayList<>();
      StructField[] fields = schema.fields();
      for (int i = 0; i < fields.length; i++) {
        if (fields[i].dataType().equals(OutputRows.FLOAT_MATRIX)) {
          matrixOrds.add(i);
        } else {
          others.add(fields[i]);
          otherOrds.add(i);
        }
      }
      otherOrdinals = otherOrds.stream().mapToInt(Integer::intValue).toArray();
      otherTypes = others.stream().map(StructField::dataType).toArray(DataType[]::new);
      matrixOrdinals = matrixOrds.stream().mapToInt(Integer::intValue).toArray();
      if (others.isEmpty()) {
        otherSchema = null;
        otherSupport = null;
      } else {
        Configuration otherConf = new Configuration(conf);
        ParquetWriteSupport.setSchema(DataTypes.createStructType(others), otherConf);
        otherSupport = new ParquetWriteSupport();
        otherSchema = otherSupport.init(otherConf).getSchema();
        String model = otherSupport.getName();
        if (model != null) {
          footer.put(ParquetWriter.OBJECT_MODEL_NAME_PROP, model);
        }
      }

      props = properties(conf);
      rowGroupBytes = ParquetOutputFormat.getLongBlockSize(conf);
      rowGroupRows = ParquetCompat.rowGroupRowCountLimit(conf);
      matrices = new MatrixColumn[matrixOrdinals.length];
      for (int m = 0; m < matrices.length; m++) {
        matrices[m] = new MatrixColumn(fileSchema, fields[matrixOrdinals[m]].name());
      }
      codecs = new CodecFactory(conf, props.getPageSizeThreshold());
      compressor = codecs.getCompressor(ParquetOutputFormat.getCompression(conf));
      file =
          new ParquetFileWriter(
              HadoopOutputFile.fromPath(new Path(path), conf),
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

  /** The settings Spark's writer reads (ParquetOutputFormat.getRecordWriter), whole-file ones. */
  private static ParquetProperties properties(Configuration conf) {
    ParquetProperties.Builder builder =
        ParquetProperties.builder()
            .withPageSize(ParquetOutputFormat.getPageSize(conf))
            .withDictionaryPageSize(ParquetOutputFormat.getDictionaryPageSize(conf))
            .withDictionaryEncoding(ParquetOutputFormat.getEnableDictionary(conf))
            .withWriterVersion(ParquetOutputFormat.getWriterVersion(conf))
            .estimateRowCountForPageSizeCheck(ParquetOutputFormat.getEstimatePageSizeCheck(conf))
            .withMinRowCountForPageSizeCheck(
                ParquetOutputFormat.getMinRowCountForPageSizeCheck(conf))
            .withMaxRowCountForPageSizeCheck(
                ParquetOutputFormat.getMaxRowCountForPageSizeCheck(conf))
            .withPageValueCountThreshold(ParquetOutputFormat.getValueCountThreshold(conf))
            .withColumnIndexTruncateLength(
                conf.getInt(
                    ParquetOutputFormat.COLUMN_INDEX_TRUNCATE_LENGTH,
                    ParquetProperties.DEFAULT_COLUMN_INDEX_TRUNCATE_LENGTH))
            .withStatisticsTruncateLength(
                conf.getInt(
                    ParquetOutputFormat.STATISTICS_TRUNCATE_LENGTH,
                    ParquetProperties.DEFAULT_STATISTICS_TRUNCATE_LENGTH))
            .withMaxBloomFilterBytes(ParquetOutputFormat.getBloomFilterMaxBytes(conf))
            .withBloomFilterEnabled(ParquetOutputFormat.getBloomFilterEnabled(conf))
            .withAdaptiveBloomFilterEnabled(ParquetOutputFormat.getAdaptiveBloomFilterEnabled(conf))
            .withPageRowCountLimit(
                conf.getInt(
                    ParquetOutputFormat.PAGE_ROW_COUNT_LIMIT,
                    ParquetProperties.DEFAULT_PAGE_ROW_COUNT_LIMIT))
            .withPageWriteChecksumEnabled(ParquetOutputFormat.getPageWriteChecksumEnabled(conf))
            .withStatisticsEnabled(ParquetOutputFormat.getStatisticsEnabled(conf));
    return ParquetCompat.withRowGroupRowCountLimit(
            builder, ParquetCompat.rowGroupRowCountLimit(conf))
        .build();
  }

  private void startRowGroup() {
    pages =
        new ColumnChunkPageWriteStore(
            compressor,
            fileSchema,
            props.getAllocator(),
            props.getColumnIndexTruncateLength(),
            props.getPageWriteChecksumEnabled());
    if (otherSchema != null) {
      // The other columns' writers feed the file's page store: same column paths.
      otherColumns =
          props.newColumnWriteStore(otherSchema, pages::getPageWriter, pages::getBloomFilterWriter);
      otherConsumer =
          new ColumnIOFactory(false).getColumnIO(otherSchema).getRecordWriter(otherColumns);
      otherSupport.prepareForWrite(otherConsumer);
    }
    rowsInGroup = 0;
  }

  @Override
  public void write(InternalRow row) {
    try {
      if (otherSupport != null) {
        Object[] values = new Object[otherOrdinals.length];
        for (int i = 0; i < values.length; i++) {
          int ord = otherOrdinals[i];
          values[i] = row.isNullAt(ord) ? null : row.get(ord, otherTypes[i]);
        }
        otherSupport.write(new GenericInternalRow(values));
      }
      for (int m = 0; m < matrices.length; m++) {
        int ord = matrixOrdinals[m];
        MatrixColumn column = matrices[m];
        column.add(row.isNullAt(ord) ? null : row.getArray(ord));
        if (column.pageFull(props)) {
          column.writePage(pages);
        }
      }
      rowsInGroup++;
      if (rowsInGroup >= rowGroupRows || bufferedBytes() >= rowGroupBytes) {
        endRowGroup();
        startRowGroup();
      }
    } catch (IOException e) {
      failed = true;
      throw new UncheckedIOException("cannot write Parquet file " + path, e);
    } catch (RuntimeException | Error e) {
      failed = true;
      throw e;
    }
  }

  private long bufferedBytes() {
    long bytes = otherColumns == null ? 0 : otherColumns.getBufferedSize();
    for (MatrixColumn column : matrices) {
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
        otherColumns.flush();
      }
      for (MatrixColumn column : matrices) {
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

  /**
   * One matrix column's current page: levels as RLE runs, values as little-endian floats. Rows (rep
   * 0) start pages; the levels follow the file schema's list layout, standard or legacy.
   */
  private static final class MatrixColumn {
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

    MatrixColumn(MessageType fileSchema, String name) {
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

    void add(ArrayData matrix) {
      if (matrix == null) {
        if (defNull < 0) {
          throw new IllegalStateException(descriptor + " is required but the row holds null");
        }
        level(0, defNull, 1);
      } else if (matrix.numElements() == 0) {
        level(0, defEmpty, 1);
      } else {
        for (int i = 0, rows = matrix.numElements(); i < rows; i++) {
          addRow(matrix.getArray(i), i == 0 ? 0 : 1);
        }
      }
      rowCount++;
    }

    private void addRow(ArrayData row, int rep) {
      int n = row.numElements();
      if (n == 0) {
        level(rep, defEmptyRow, 1);
        return;
      }
      repetition.add(rep, 1);
      repetition.add(2, n - 1);
      definition.add(maxDef, n);
      valueCount += n;
      int bytes = Math.multiplyExact(n, 4);
      if (values.length - valueBytes < bytes) {
        values =
            Arrays.copyOf(values, Math.max(Math.addExact(valueBytes, bytes), 2 * values.length));
      }
      if (LITTLE_ENDIAN && row instanceof UnsafeArrayData u) {
        Platform.copyMemory(
            u.getBaseObject(),
            u.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(n),
            values,
            Platform.BYTE_ARRAY_OFFSET + valueBytes,
            bytes);
        valueBytes += bytes;
      } else {
        for (int j = 0; j < n; j++, valueBytes += 4) {
          intLittleEndian(values, valueBytes, Float.floatToRawIntBits(row.getFloat(j)));
        }
      }
    }

    private void level(int rep, int def, int count) {
      repetition.add(rep, count);
      definition.add(def, count);
      valueCount += count;
    }

    boolean pageFull(ParquetProperties props) {
      return valueBytes >= props.getPageSizeThreshold()
          || rowCount >= props.getPageRowCountLimit()
          || valueCount >= props.getPageValueCountThreshold();
    }

    long bufferedBytes(ColumnChunkPageWriteStore pages) {
      return pages.getPageWriter(descriptor).getMemSize() + valueBytes;
    }

    /** Hands the page (if any) to the row group's page store, which compresses and indexes it. */
    void writePage(ColumnChunkPageWriteStore pages) throws IOException {
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

    private static void intLittleEndian(byte[] out, int at, int v) {
      out[at] = (byte) v;
      out[at + 1] = (byte) (v >>> 8);
      out[at + 2] = (byte) (v >>> 16);
      out[at + 3] = (byte) (v >>> 24);
    }
  }

  /**
   * Levels in Parquet's RLE/bit-packing hybrid encoding, as RLE runs only: a run is its length
   * (ULEB128, shifted left one bit) and the level in ceil(bit width / 8) bytes. Adjacent runs of
   * the same level merge.
   */
  static final class LevelRuns {
    /** Longest run written as one: its header must fit a 32-bit varint. */
    private static final int MAX_RUN = (1 << 30) - 1;

    private final int levelBytes;
    private byte[] out = new byte[256];
    private int size;
    private int level = -1;
    private long count;

    LevelRuns(int maxLevel) {
      int bitWidth = 32 - Integer.numberOfLeadingZeros(maxLevel);
      this.levelBytes = (bitWidth + 7) / 8;
    }

    void add(int value, long n) {
      if (n == 0) {
        return;
      }
      if (value != level) {
        flushRun();
        level = value;
      }
      count += n;
    }

    /** The encoded levels so far; starts a new sequence. */
    byte[] finish() {
      flushRun();
      byte[] encoded = Arrays.copyOf(out, size);
      size = 0;
      level = -1;
      return encoded;
    }

    private void flushRun() {
      while (count > 0) {
        int run = (int) Math.min(count, MAX_RUN);
        if (out.length - size < 5 + levelBytes) {
          out = Arrays.copyOf(out, 2 * out.length);
        }
        int header = run << 1;
        while ((header & ~0x7F) != 0) {
          out[size++] = (byte) ((header & 0x7F) | 0x80);
          header >>>= 7;
        }
        out[size++] = (byte) header;
        for (int b = 0; b < levelBytes; b++) {
          out[size++] = (byte) (level >>> (8 * b));
        }
        count -= run;
      }
    }
  }
}
