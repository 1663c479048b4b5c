package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;

/**
 * How the float matrices are laid out in Parquet: Spark's standard three-level lists of required
 * floats, written in bulk without min/max statistics (io.spark.MatrixParquetWriter), while the
 * carried columns keep their statistics for analysts' filters. Spark still reads the contract's
 * {@code array<array<float>>}.
 */
@SparkTest
class ParquetLayoutTest {
  @TempDir Path dir;

  @Test
  void floatMatricesAreStandardListsWithoutStatistics() throws Exception {
    Path out = dir.resolve("out");
    Path maps = dir.resolve("maps");
    JobRunner.succeed(
        JobFeaturesTest.sampleArgs(
            JobFeaturesTest.SAMPLES,
            out.toString(),
            "--maps",
            "mean",
            "--maps.output",
            maps.toString()));

    checkVectorColumn(footer(out), "output");
    checkVectorColumn(footer(maps), "weights");

    // Spark reads file columns as nullable; the type is the contract's.
    SparkSession spark = SparkTestSession.get();
    assertEquals(
        "array<array<float>>",
        spark.read().parquet(out.toString()).schema().apply("output").dataType().simpleString());
    assertEquals(
        "array<array<float>>",
        spark.read().parquet(maps.toString()).schema().apply("weights").dataType().simpleString());
  }

  /**
   * The job sets its read settings in the session only while it plans: a shared session gets its
   * own back, and a user's batch size is kept.
   */
  @Test
  void sessionSettingsAreRestored() {
    SparkSession spark = SparkTestSession.get();
    String batch = "spark.sql.parquet.columnarReaderBatchSize";
    spark.conf().set(batch, "4096");
    try {
      JobRunner.succeed(
          JobFeaturesTest.sampleArgs(JobFeaturesTest.SAMPLES, dir.resolve("out").toString()));
      assertEquals("4096", spark.conf().get(batch));
    } finally {
      spark.conf().unset(batch);
    }
    JobRunner.succeed(
        JobFeaturesTest.sampleArgs(JobFeaturesTest.SAMPLES, dir.resolve("out2").toString()));
    assertFalse(spark.conf().contains(batch));
    assertFalse(spark.conf().contains("spark.sql.orc.columnarReaderBatchSize"));
  }

  private static void checkVectorColumn(ParquetMetadata footer, String column) {
    MessageType schema = footer.getFileMetaData().getSchema();
    // required group output (LIST) { repeated group list { required group element (LIST) {
    //   repeated group list { required float element } } } }
    Type rows = schema.getType(column);
    assertEquals("LIST", rows.getLogicalTypeAnnotation().toString(), schema.toString());
    Type row = rows.asGroupType().getType("list").asGroupType().getType("element");
    assertEquals(Type.Repetition.REQUIRED, row.getRepetition(), column + ": rows are never null");
    Type value = row.asGroupType().getType("list").asGroupType().getType("element");
    assertEquals(Type.Repetition.REQUIRED, value.getRepetition(), column + ": nor values");
    assertEquals("FLOAT", value.asPrimitiveType().getPrimitiveTypeName().name());

    List<ColumnChunkMetaData> chunks = footer.getBlocks().get(0).getColumns();
    ColumnChunkMetaData vector =
        chunks.stream()
            .filter(c -> c.getPath().toDotString().startsWith(column + "."))
            .findFirst()
            .orElseThrow();
    assertFalse(vector.getStatistics().hasNonNullValue(), column + ": no min/max statistics");
    ColumnChunkMetaData id =
        chunks.stream()
            .filter(c -> c.getPath().toDotString().equals("id"))
            .findFirst()
            .orElseThrow();
    assertTrue(id.getStatistics().hasNonNullValue(), "the id column keeps its statistics");
  }

  private static ParquetMetadata footer(Path dataset) throws IOException {
    Path file;
    try (Stream<Path> files = Files.walk(dataset)) {
      file =
          files
              .filter(p -> p.getFileName().toString().endsWith(".parquet"))
              .findFirst()
              .orElseThrow();
    }
    try (ParquetFileReader reader =
        ParquetFileReader.open(
            HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
      return reader.getFooter();
    }
  }
}
