package org.sparkattention.io.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnWriteStore;
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
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.parquet.MatrixPage;
import org.sparkattention.io.parquet.ParquetCompat;
import org.sparkattention.io.parquet.StableFooterFile;
import org.sparkattention.io.parquet.WriterSettings;

/**
 * Writes one Parquet file of rows with float matrices. The matrix columns are encoded a page at a
 * time by {@link MatrixPage}: repetition and definition levels as RLE runs (a few per matrix row),
 * the floats copied in bulk as PLAIN little-endian values. Every other column goes through Spark's
 * {@code ParquetWriteSupport} as usual. Schema, footer metadata, compression, page and row-group
 * sizes are those Spark's writer would use; pages end at row boundaries and carry an offset index.
 * Matrix values get no min/max statistics (no query filters on them).
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
  private final DataType[] otherTypes;
  private final MessageType otherSchema;
  private final ParquetWriteSupport otherSupport;
  private final int[] matrixOrdinals;
  private final MatrixPage[] matrices;

  private ColumnChunkPageWriteStore pages;
  private ColumnWriteStore otherColumns;
  private RecordConsumer otherConsumer;
  private long rowsInGroup;
  private boolean failed;

  /**
   * Whether this writer takes the dataset: without Parquet encryption, every dataset of the job
   * (its matrix columns, {@link OutputRows#FLOAT_MATRIX}, a page at a time; other columns through
   * Spark's write support; footers the same bytes for the same rows, see StableFooterFile).
   */
  static boolean handles(StructType schema, Configuration conf) {
    return conf.get("parquet.crypto.factory.class") == null;
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

      props = WriterSettings.properties(conf);
      rowGroupBytes = ParquetOutputFormat.getLongBlockSize(conf);
      rowGroupRows = ParquetCompat.rowGroupRowCountLimit(conf);
      matrices = new MatrixPage[matrixOrdinals.length];
      for (int m = 0; m < matrices.length; m++) {
        matrices[m] = new MatrixPage(fileSchema, fields[matrixOrdinals[m]].name());
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
        MatrixPage column = matrices[m];
        add(column, row.isNullAt(ord) ? null : row.getArray(ord));
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

  /** One matrix into its column's page, the floats copied in bulk from Spark's unsafe array. */
  private static void add(MatrixPage page, ArrayData matrix) {
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
      int at = page.addRow(i == 0, n);
      byte[] values = page.values();
      if (LITTLE_ENDIAN && row instanceof UnsafeArrayData u) {
        Platform.copyMemory(
            u.getBaseObject(),
            u.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(n),
            values,
            Platform.BYTE_ARRAY_OFFSET + at,
            4L * n);
      } else {
        for (int j = 0; j < n; j++) {
          MatrixPage.intLittleEndian(values, at + 4 * j, Float.floatToRawIntBits(row.getFloat(j)));
        }
      }
    }
    page.endMatrix();
  }

  private long bufferedBytes() {
    long bytes = otherColumns == null ? 0 : otherColumns.getBufferedSize();
    for (MatrixPage column : matrices) {
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
      for (MatrixPage column : matrices) {
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
