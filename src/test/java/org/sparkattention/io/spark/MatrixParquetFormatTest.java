package org.sparkattention.io.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.crypto.EncryptionPropertiesFactory;
import org.apache.parquet.crypto.FileEncryptionProperties;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;
import org.sparkattention.config.MapsSetting;
import org.sparkattention.io.InputLayout;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.parquet.FlatPage;
import org.sparkattention.io.parquet.ParquetCompat;
import org.sparkattention.io.parquet.RunPage;
import org.sparkattention.job.SparkTestSession;
import scala.collection.immutable.ArraySeq;

/**
 * The bulk matrix writer writes what Spark's own Parquet writer writes: the same rows come back
 * through Spark's vectorized reader, its row-based (parquet-mr) reader and DuckDB, with pages and
 * row groups cut small so that every level run, page and row-group boundary is crossed.
 */
@SparkTest
class MatrixParquetFormatTest {
  @TempDir static Path dir;
  private static Path bulk;
  private static Path spark;
  private static Path legacy;
  private static List<Row> rows;

  private static final StructType SCHEMA =
      DataTypes.createStructType(
          List.of(
              DataTypes.createStructField("id", DataTypes.LongType, false),
              DataTypes.createStructField("label", DataTypes.StringType, true),
              DataTypes.createStructField("day", DataTypes.DateType, true),
              DataTypes.createStructField("amount", DataTypes.createDecimalType(12, 3), true),
              DataTypes.createStructField("m", OutputRows.FLOAT_MATRIX, false),
              DataTypes.createStructField(
                  "tags", DataTypes.createArrayType(DataTypes.StringType), true),
              DataTypes.createStructField("n", OutputRows.FLOAT_MATRIX, true),
              // Arrays of 4-byte values (the summary statistics' columns), with and without nulls.
              DataTypes.createStructField(
                  "f", DataTypes.createArrayType(DataTypes.FloatType, false), true),
              DataTypes.createStructField(
                  "k", DataTypes.createArrayType(DataTypes.IntegerType, true), false),
              DataTypes.createStructField(
                  "g", DataTypes.createArrayType(DataTypes.FloatType, true), true)));

  @BeforeAll
  static void writeBothWays() {
    SparkSession session = SparkTestSession.get();
    Random random = new Random(7);
    rows = new ArrayList<>();
    for (long id = 0; id < 400; id++) {
      // Shapes that exercise the level runs: empty matrices, empty rows, single values, E = 1.
      int rowsOfM = id % 50 == 3 ? 0 : 1 + random.nextInt(40);
      int width = id % 7 == 0 ? 1 : 1 + random.nextInt(70);
      Object[] m = new Object[rowsOfM];
      for (int i = 0; i < rowsOfM; i++) {
        int w = id % 11 == 5 && i == 1 ? 0 : width;
        Object[] r = new Object[w];
        for (int j = 0; j < w; j++) {
          r[j] = random.nextFloat() * 2 - 1;
        }
        m[i] = ArraySeq.unsafeWrapArray(r);
      }
      Object n =
          id % 3 == 0
              ? null
              : ArraySeq.unsafeWrapArray(
                  new Object[] {
                    ArraySeq.unsafeWrapArray(new Object[] {(float) id, -0.0f, Float.MIN_VALUE})
                  });
      // One array longer than a page buffer's first size (64 KB), which must grow for it.
      int len = id % 10 == 2 ? 0 : id == 13 ? 20_000 : random.nextInt(30);
      Object[] f = new Object[len];
      Object[] k = new Object[len];
      Object[] g = new Object[len];
      for (int j = 0; j < len; j++) {
        f[j] = random.nextFloat();
        // Nulls first, last, in runs, or every value (id % 4 == 1).
        k[j] = id % 4 == 1 || (id % 4 == 2 && (j == 0 || j % 5 > 2)) ? null : random.nextInt();
        g[j] = id % 4 == 3 && j == len - 1 ? null : (Object) (float) j;
      }
      rows.add(
          RowFactory.create(
              id,
              id % 5 == 0 ? null : "label-" + (id % 13),
              id % 4 == 0 ? null : Date.valueOf("2026-11-" + (10 + id % 9)),
              id % 6 == 0 ? null : new BigDecimal(id).movePointLeft(3),
              ArraySeq.unsafeWrapArray(m),
              id % 9 == 0 ? null : ArraySeq.unsafeWrapArray(new Object[] {"a" + id, "b"}),
              n,
              id % 8 == 1 ? null : ArraySeq.unsafeWrapArray(f),
              ArraySeq.unsafeWrapArray(k),
              id % 7 == 4 ? null : ArraySeq.unsafeWrapArray(g)));
    }
    Dataset<Row> df = session.createDataFrame(rows, SCHEMA).repartition(2);
    bulk = dir.resolve("bulk");
    spark = dir.resolve("spark");
    // Small pages and row groups: many of each per file.
    df.write()
        .format(MatrixParquetFormat.class.getName())
        .option("parquet.page.size", "2048")
        .option("parquet.block.size", "65536")
        .save(bulk.toString());
    df.write().parquet(spark.toString());
    // A session with Spark's legacy (two-level) list layout gets that layout from the writer too.
    legacy = dir.resolve("legacy");
    session.conf().set("spark.sql.parquet.writeLegacyFormat", "true");
    try {
      df.write()
          .format(MatrixParquetFormat.class.getName())
          .option("parquet.page.size", "2048")
          .save(legacy.toString());
    } finally {
      session.conf().unset("spark.sql.parquet.writeLegacyFormat");
    }
  }

  @Test
  void sparkReadsTheSameRowsWithBothReaders() {
    SparkSession session = SparkTestSession.get();
    List<Row> expected = sorted(session.read().parquet(spark.toString()));
    assertEquals(rows.size(), expected.size());
    assertSameRows(expected, sorted(session.read().parquet(bulk.toString())), "vectorized reader");
    String vectorized = "spark.sql.parquet.enableVectorizedReader";
    session.conf().set(vectorized, "false");
    try {
      assertSameRows(
          expected, sorted(session.read().parquet(bulk.toString())), "parquet-mr reader");
    } finally {
      session.conf().unset(vectorized);
    }
    assertSameRows(expected, sorted(session.read().parquet(legacy.toString())), "legacy lists");
    assertEquals(
        SCHEMA.asNullable(), session.read().parquet(bulk.toString()).schema().asNullable());
  }

  @Test
  void duckDbReadsTheSameMatrices() throws Exception {
    List<Row> expected = sorted(SparkTestSession.get().read().parquet(spark.toString()));
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT id, len(m), flatten(m), amount, k, g FROM read_parquet('"
                    + bulk
                    + "/*.parquet') ORDER BY id")) {
      int i = 0;
      while (rs.next()) {
        Row row = expected.get(i++);
        assertEquals(row.getLong(0), rs.getLong(1));
        List<scala.collection.Seq<Float>> m = row.getList(4);
        assertEquals(m.size(), rs.getInt(2), "rows of m, id " + row.getLong(0));
        List<Float> flat = new ArrayList<>();
        m.forEach(r -> r.foreach(flat::add));
        Object[] duck = (Object[]) rs.getArray(3).getArray();
        assertArrayEquals(flat.toArray(), duck, "values of m, id " + row.getLong(0));
        assertEquals(row.getDecimal(3), rs.getBigDecimal(4));
        assertArrayEquals(
            row.getList(8).toArray(),
            (Object[]) rs.getArray(5).getArray(),
            "k (ints, nulls), id " + row.getLong(0));
        if (row.isNullAt(9)) {
          assertNull(rs.getArray(6), "g, id " + row.getLong(0));
        } else {
          assertArrayEquals(
              row.getList(9).toArray(),
              (Object[]) rs.getArray(6).getArray(),
              "g (floats, nulls), id " + row.getLong(0));
        }
      }
      assertEquals(rows.size(), i);
    }
  }

  @Test
  void filesHaveManyPagesAndRowGroupsAndSparksFooter() throws IOException {
    int rowGroups = 0;
    for (Path file : parquetFiles(bulk)) {
      try (ParquetFileReader reader =
          ParquetFileReader.open(
              HadoopInputFile.fromPath(
                  new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
        ParquetMetadata footer = reader.getFooter();
        assertTrue(
            footer
                .getFileMetaData()
                .getSchema()
                .getType("m")
                .asGroupType()
                .getType(0)
                .getName()
                .equals("list"),
            "standard three-level lists: " + footer.getFileMetaData().getSchema());
        assertTrue(
            footer
                .getFileMetaData()
                .getKeyValueMetaData()
                .containsKey("org.apache.spark.sql.parquet.row.metadata"),
            "Spark's schema in the footer");
        for (BlockMetaData block : footer.getBlocks()) {
          rowGroups++;
          for (ColumnChunkMetaData chunk : block.getColumns()) {
            String column = chunk.getPath().toDotString();
            if (column.startsWith("m.")) {
              // A row group of one row (the long arrays' row) has one page of m.
              assertTrue(
                  block.getRowCount() == 1 || reader.readOffsetIndex(chunk).getPageCount() > 1,
                  "pages of m");
              assertFalse(chunk.getStatistics().hasNonNullValue(), "no min/max for matrices");
            }
            if (column.startsWith("f.") || column.startsWith("k.")) {
              // Written a page at a time like matrices (Spark's writer would keep min/max).
              assertFalse(chunk.getStatistics().hasNonNullValue(), "no min/max for " + column);
            }
            if (column.equals("id")) {
              assertTrue(chunk.getStatistics().hasNonNullValue(), "id keeps its statistics");
            }
          }
        }
      }
    }
    assertTrue(rowGroups > 2, "row groups: " + rowGroups);
  }

  @Test
  void theRowGroupRowLimitIsKept() throws IOException {
    Path limited = dir.resolve("limited");
    SparkTestSession.get()
        .createDataFrame(rows, SCHEMA)
        .repartition(1)
        .write()
        .format(MatrixParquetFormat.class.getName())
        .option(ParquetCompat.BLOCK_ROW_COUNT_LIMIT, "64")
        .save(limited.toString());
    long total = 0;
    for (Path file : parquetFiles(limited)) {
      try (ParquetFileReader reader =
          ParquetFileReader.open(
              HadoopInputFile.fromPath(
                  new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
        for (BlockMetaData block : reader.getFooter().getBlocks()) {
          assertTrue(block.getRowCount() <= 64, "rows in a row group: " + block.getRowCount());
          total += block.getRowCount();
        }
      }
    }
    assertEquals(rows.size(), total);
  }

  @Test
  void legacySessionGetsTwoLevelLists() throws IOException {
    Path file = parquetFiles(legacy).get(0);
    try (ParquetFileReader reader =
        ParquetFileReader.open(
            HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
      var m = reader.getFooter().getFileMetaData().getSchema().getType("m").asGroupType();
      assertEquals("array", m.getType(0).getName(), m.toString());
      assertTrue(m.getType(0).asGroupType().getType(0).isPrimitive(), m.toString());
    }
  }

  /**
   * An outputs-and-maps write (the job with maps on): each task's output rows land in Spark's file,
   * its map rows in a {@code _maps.} file beside it, each with its own dataset's schema.
   */
  @Test
  void outputAndMapsWriteSplitsTheRowsIntoTwoFilesWithTheirOwnSchemas() throws IOException {
    SparkSession session = SparkTestSession.get();
    StructType input =
        DataTypes.createStructType(
            List.of(
                DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("day", DataTypes.StringType, true),
                DataTypes.createStructField("x", OutputRows.FLOAT_MATRIX, false)));
    OutputRows outputRows = outputRows(input, List.of("day"), MapsSetting.HEADS);
    StructType both = outputRows.computedSchema(true, false);
    List<String> mapColumns = outputRows.mapColumns();
    assertEquals(outputRows.outputSchema(), OutputRows.outputPart(both, mapColumns));
    assertEquals(outputRows.mapSchema(), OutputRows.mapPart(both, mapColumns));

    List<Row> written = new ArrayList<>();
    for (long id = 0; id < 60; id++) {
      String day = "2026-11-2" + (id % 3);
      Object m =
          ArraySeq.unsafeWrapArray(
              new Object[] {ArraySeq.unsafeWrapArray(new Object[] {(float) id, 0.5f})});
      written.add(RowFactory.create(id, day, m, null, null));
      for (int head = 0; head < 2; head++) {
        written.add(RowFactory.create(id, day, null, head, m));
      }
    }
    Path out = dir.resolve("output-and-maps");
    session
        .createDataFrame(written, both)
        .repartition(2)
        .write()
        .format(MatrixParquetFormat.class.getName())
        .option(MatrixParquetFormat.OUTPUT_AND_MAPS, true)
        .option(MatrixParquetFormat.MAP_COLUMNS, String.join(",", mapColumns))
        .partitionBy("day")
        .save(out.toString());

    // Spark skips the _maps. files: the dataset holds the output rows only.
    Dataset<Row> outputs = session.read().parquet(out.toString());
    assertEquals(List.of("id", "output", "day"), List.of(outputs.schema().fieldNames()));
    assertEquals(60, outputs.count());
    assertEquals(60, outputs.filter("output[0][0] = cast(id as float)").count());

    // The map files, moved beside each other without the prefix, are the map rows.
    Path maps = dir.resolve("maps-of-output-and-maps");
    List<Path> mapFiles =
        parquetFiles(out).stream()
            .filter(p -> p.getFileName().toString().startsWith(MatrixParquetFormat.MAPS_PREFIX))
            .toList();
    assertEquals(parquetFiles(out).size() / 2, mapFiles.size(), "one map file per output file");
    for (Path f : mapFiles) {
      Path to =
          maps.resolve(out.relativize(f.getParent()))
              .resolve(
                  f.getFileName().toString().substring(MatrixParquetFormat.MAPS_PREFIX.length()));
      Files.createDirectories(to.getParent());
      Files.copy(f, to);
    }
    Dataset<Row> mapRows = session.read().parquet(maps.toString());
    assertEquals(List.of("id", "head", "weights", "day"), List.of(mapRows.schema().fieldNames()));
    assertEquals(120, mapRows.count());
    assertEquals(60, mapRows.filter("head = 1 and weights[0][0] = cast(id as float)").count());
  }

  /**
   * maps=topk: a computed map row holds one (sequence, head)'s keys as arrays; its map file has one
   * row per key, with Parquet's encodings and statistics, whether the bulk writer expands it (row
   * groups cut in the middle of a head's keys) or Spark's writer does (Parquet encryption on).
   */
  @Test
  void topKeyRowsBecomeOneFileRowPerKey() throws Exception {
    SparkSession session = SparkTestSession.get();
    StructType input =
        DataTypes.createStructType(
            List.of(
                DataTypes.createStructField("id", DataTypes.LongType, false),
                // Carried columns of every kind of Parquet write: strings, nulls, decimals
                // (Spark reuses one buffer for them), nested lists.
                DataTypes.createStructField("label", DataTypes.StringType, true),
                DataTypes.createStructField("amount", DataTypes.createDecimalType(20, 3), true),
                DataTypes.createStructField(
                    "tags", DataTypes.createArrayType(DataTypes.StringType), true),
                DataTypes.createStructField("x", OutputRows.FLOAT_MATRIX, false)));
    OutputRows outputRows = outputRows(input, List.of(), MapsSetting.TOPK);
    StructType both = outputRows.computedSchema(true, false);
    List<String> mapColumns = outputRows.mapColumns();
    assertEquals(outputRows.mapSchema(), OutputRows.mapPart(both, mapColumns));

    List<Row> written = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    Object m =
        ArraySeq.unsafeWrapArray(new Object[] {ArraySeq.unsafeWrapArray(new Object[] {1f, 2f})});
    for (long id = 0; id < 300; id++) {
      String label = id % 5 == 0 ? null : "label-" + id;
      BigDecimal amount = id % 6 == 0 ? null : new BigDecimal(id * 1000 + 7).movePointLeft(3);
      Object tags =
          id % 4 == 0 ? null : ArraySeq.unsafeWrapArray(new Object[] {"t" + id, null, "u"});
      String carried = label + "," + amount + "," + (tags == null ? null : "t" + id + ",null,u");
      written.add(RowFactory.create(id, label, amount, tags, m, null, null, null, null, null));
      for (int head = 0; head < 2; head++) {
        int n = (int) ((id * 7 + head) % 11); // 0 to 10 keys, 0 for some heads
        Object[] query = new Object[n];
        Object[] rank = new Object[n];
        Object[] key = new Object[n];
        Object[] weight = new Object[n];
        for (int j = 0; j < n; j++) {
          query[j] = j / 3;
          rank[j] = j % 3;
          key[j] = (int) id + j;
          weight[j] = j / 16f;
          expected.add(
              id + "," + carried + "," + head + "," + query[j] + "," + rank[j] + "," + key[j] + ","
                  + weight[j]);
        }
        written.add(
            RowFactory.create(
                id,
                label,
                amount,
                tags,
                null,
                head,
                ArraySeq.unsafeWrapArray(query),
                ArraySeq.unsafeWrapArray(rank),
                ArraySeq.unsafeWrapArray(key),
                ArraySeq.unsafeWrapArray(weight)));
      }
    }
    expected.sort(null);
    for (boolean encrypted : new boolean[] {false, true}) {
      Path out = dir.resolve("topk-" + encrypted);
      var write =
          session
              .createDataFrame(written, both)
              .repartition(2)
              .write()
              .format(MatrixParquetFormat.class.getName())
              .option(MatrixParquetFormat.OUTPUT_AND_MAPS, true)
              .option(MatrixParquetFormat.MAP_COLUMNS, String.join(",", mapColumns))
              .option(ParquetCompat.BLOCK_ROW_COUNT_LIMIT, "97");
      if (encrypted) {
        write = write.option("parquet.crypto.factory.class", NoEncryption.class.getName());
      }
      write.save(out.toString());
      Path maps = dir.resolve("topk-maps-" + encrypted);
      Files.createDirectories(maps);
      int rowGroups = 0;
      for (Path f : parquetFiles(out)) {
        String name = f.getFileName().toString();
        if (name.startsWith(MatrixParquetFormat.MAPS_PREFIX)) {
          Path to = maps.resolve(name.substring(MatrixParquetFormat.MAPS_PREFIX.length()));
          Files.copy(f, to);
          try (ParquetFileReader reader =
              ParquetFileReader.open(
                  HadoopInputFile.fromPath(
                      new org.apache.hadoop.fs.Path(to.toUri()), new Configuration()))) {
            for (BlockMetaData block : reader.getFooter().getBlocks()) {
              rowGroups++;
              assertTrue(block.getRowCount() <= 97, "rows in a row group: " + block.getRowCount());
              for (ColumnChunkMetaData chunk : block.getColumns()) {
                assertTrue(
                    chunk.getStatistics().hasNonNullValue(),
                    "statistics of " + chunk.getPath().toDotString());
              }
            }
          }
        }
      }
      assertTrue(rowGroups > 4, "row groups: " + rowGroups);
      Dataset<Row> mapRows = session.read().parquet(maps.toString());
      assertEquals(
          List.of("id", "label", "amount", "tags", "head", "query", "rank", "key", "weight"),
          List.of(mapRows.schema().fieldNames()));
      List<String> back = new ArrayList<>();
      for (Row r : mapRows.collectAsList()) {
        String tags =
            r.isNullAt(3)
                ? null
                : String.join(",", r.getList(3).stream().map(String::valueOf).toList());
        back.add(
            r.getLong(0)
                + ","
                + r.getString(1)
                + ","
                + r.getDecimal(2)
                + ","
                + tags
                + ","
                + r.getInt(4)
                + ","
                + r.getInt(5)
                + ","
                + r.getInt(6)
                + ","
                + r.getInt(7)
                + ","
                + r.getFloat(8));
      }
      back.sort(null);
      assertEquals(expected.size(), back.size(), "rows, encryption configured: " + encrypted);
      for (int i = 0; i < back.size(); i++) {
        assertEquals(expected.get(i), back.get(i), "encryption configured: " + encrypted);
      }
      try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
          Statement st = db.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT count(*), sum(key - id), sum(weight) FROM read_parquet('"
                      + maps
                      + "/*.parquet')")) {
        assertTrue(rs.next());
        assertEquals(expected.size(), rs.getLong(1));
        long keyOffsets = 0;
        double weights = 0;
        for (String e : expected) {
          String[] v = e.split(",");
          keyOffsets += Long.parseLong(v[v.length - 2]) - Long.parseLong(v[0]);
          weights += Float.parseFloat(v[v.length - 1]);
        }
        assertEquals(keyOffsets, rs.getLong(2));
        assertEquals(weights, rs.getDouble(3), 1e-6);
      }
    }
  }

  /**
   * Columns of one row per element are written a page at a time: small non-negative ints as indices
   * into the identity dictionary, other ints and floats PLAIN, pages of either kind in one chunk,
   * each page with its min and max. Spark (both readers) and DuckDB read every value back, and the
   * column index holds each page's true bounds.
   */
  @Test
  void elementPagesMixDictionaryAndPlainEncodings() throws Exception {
    StructType schema =
        DataTypes.createStructType(
            List.of(
                DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("a", DataTypes.IntegerType, false),
                DataTypes.createStructField("w", DataTypes.FloatType, false)));
    SparkSession session = SparkTestSession.get();
    Configuration conf = writeConfiguration(session, schema);
    conf.setInt(org.apache.parquet.hadoop.ParquetOutputFormat.PAGE_ROW_COUNT_LIMIT, 7);
    conf.set(ParquetCompat.BLOCK_ROW_COUNT_LIMIT, "40");
    Path file = dir.resolve("elements").resolve("part-0.parquet");
    Files.createDirectories(file.getParent());
    MatrixParquetWriter writer =
        new MatrixParquetWriter(file.toString(), schema, new int[] {1, 2}, conf);
    Random rnd = new Random(5);
    List<String> expected = new ArrayList<>();
    for (long id = 0; id < 30; id++) {
      int n = (int) (id % 9);
      int[] a = new int[n];
      float[] w = new float[n];
      for (int j = 0; j < n; j++) {
        // Mostly indices; now and then a page gets a negative or a too large one.
        int pick = rnd.nextInt(20);
        a[j] =
            pick == 0
                ? -1 - rnd.nextInt(5)
                : pick == 1 ? FlatPage.MAX_DICTIONARY + j : rnd.nextInt(50);
        w[j] = (float) rnd.nextGaussian();
        expected.add(id + "," + a[j] + "," + w[j]);
      }
      writer.write(
          new org.apache.spark.sql.catalyst.expressions.GenericInternalRow(
              new Object[] {
                id,
                org.apache.spark.sql.catalyst.util.ArrayData.toArrayData(a),
                org.apache.spark.sql.catalyst.util.ArrayData.toArrayData(w)
              }));
    }
    writer.close();
    expected.sort(null);

    java.util.Set<String> encodings = new java.util.HashSet<>();
    try (ParquetFileReader reader =
        ParquetFileReader.open(
            HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
      List<BlockMetaData> blocks = reader.getFooter().getBlocks();
      assertTrue(blocks.size() > 1, "row groups: " + blocks.size());
      for (BlockMetaData block : blocks) {
        for (ColumnChunkMetaData chunk : block.getColumns()) {
          String column = chunk.getPath().toDotString();
          if (column.equals("id")) {
            continue;
          }
          chunk.getEncodings().forEach(e -> encodings.add(column + ":" + e));
          var index = reader.readColumnIndex(chunk);
          assertTrue(index != null, "column index of " + column);
          assertTrue(index.getMinValues().size() > 1, "pages of " + column);
        }
      }
    }
    assertTrue(encodings.contains("a:PLAIN_DICTIONARY"), encodings.toString());
    assertTrue(encodings.contains("a:PLAIN"), encodings.toString());
    assertTrue(encodings.contains("w:PLAIN"), encodings.toString());

    for (String vectorized : new String[] {"false", "true"}) {
      session.conf().set("spark.sql.parquet.enableVectorizedReader", vectorized);
      try {
        List<String> back = new ArrayList<>();
        for (Row r : session.read().parquet(file.getParent().toString()).collectAsList()) {
          back.add(r.getLong(0) + "," + r.getInt(1) + "," + r.getFloat(2));
        }
        back.sort(null);
        assertEquals(expected, back, "vectorized reader: " + vectorized);
        // Filters pushed down to the page statistics keep every matching row.
        long small =
            session.read().parquet(file.getParent().toString()).where("a >= 0 AND a < 50").count();
        assertEquals(
            expected.stream()
                .filter(e -> Integer.parseInt(e.split(",")[1]) >= 0)
                .filter(e -> Integer.parseInt(e.split(",")[1]) < 50)
                .count(),
            small,
            "vectorized reader: " + vectorized);
      } finally {
        session.conf().unset("spark.sql.parquet.enableVectorizedReader");
      }
    }
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT id, a, w FROM read_parquet('" + file + "') ORDER BY id, a, w")) {
      List<String> back = new ArrayList<>();
      while (rs.next()) {
        back.add(rs.getLong(1) + "," + rs.getInt(2) + "," + rs.getFloat(3));
      }
      back.sort(null);
      assertEquals(expected, back, "DuckDB");
    }
  }

  /**
   * With every carried column flat, each is written as one run of its value per row ({@link
   * RunPage}): dictionary-encoded, falling back to PLAIN for the rest of a chunk once the
   * dictionary outgrows its page (or at once when dictionaries are off). Spark (both readers) and
   * DuckDB read every value back, and filters on the page statistics keep every matching row.
   */
  @Test
  void flatCarriedColumnsRunOnePerRow() throws Exception {
    StructType schema =
        DataTypes.createStructType(
            List.of(
                DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("label", DataTypes.StringType, true),
                DataTypes.createStructField("amount", DataTypes.createDecimalType(20, 3), true),
                DataTypes.createStructField("price", DataTypes.createDecimalType(7, 2), true),
                DataTypes.createStructField("score", DataTypes.DoubleType, true),
                DataTypes.createStructField("head", DataTypes.IntegerType, true),
                DataTypes.createStructField("key", DataTypes.IntegerType, false)));
    SparkSession session = SparkTestSession.get();
    String[][] settings = {
      {}, {"parquet.dictionary.page.size", "60"}, {"parquet.enable.dictionary", "false"}
    };
    for (int s = 0; s < settings.length; s++) {
      String[] setting = settings[s];
      String name = setting.length == 0 ? "default" : setting[0] + "=" + setting[1];
      Configuration conf = writeConfiguration(session, schema);
      conf.setInt(org.apache.parquet.hadoop.ParquetOutputFormat.PAGE_ROW_COUNT_LIMIT, 11);
      conf.set(ParquetCompat.BLOCK_ROW_COUNT_LIMIT, "60");
      if (setting.length > 0) {
        conf.set(setting[0], setting[1]);
      }
      Path file = dir.resolve("runs-" + s).resolve("part-0.parquet");
      Files.createDirectories(file.getParent());
      MatrixParquetWriter writer =
          new MatrixParquetWriter(file.toString(), schema, new int[] {6}, conf);
      List<String> expected = new ArrayList<>();
      for (long id = 0; id < 40; id++) {
        String label = id % 5 == 0 ? null : "label-" + id % 13;
        BigDecimal amount = id % 6 == 0 ? null : new BigDecimal(id * 1000 + 7).movePointLeft(3);
        BigDecimal price = id % 7 == 0 ? null : new BigDecimal(id * 31 % 500).movePointLeft(2);
        Double score = id % 4 == 0 ? null : id / 8.0;
        for (int head = 0; head < 2; head++) {
          int n = (int) ((id * 7 + head) % 9); // 0 to 8 keys, 0 for some heads
          int[] keys = new int[n];
          for (int j = 0; j < n; j++) {
            keys[j] = (int) id + j;
            expected.add(
                id + "," + label + "," + amount + "," + price + "," + score + "," + head + ","
                    + keys[j]);
          }
          writer.write(
              new org.apache.spark.sql.catalyst.expressions.GenericInternalRow(
                  new Object[] {
                    id,
                    label == null
                        ? null
                        : org.apache.spark.unsafe.types.UTF8String.fromString(label),
                    amount == null ? null : org.apache.spark.sql.types.Decimal.apply(amount, 20, 3),
                    price == null ? null : org.apache.spark.sql.types.Decimal.apply(price, 7, 2),
                    score,
                    head,
                    org.apache.spark.sql.catalyst.util.ArrayData.toArrayData(keys)
                  }));
        }
      }
      writer.close();
      expected.sort(null);

      java.util.Set<String> encodings = new java.util.HashSet<>();
      try (ParquetFileReader reader =
          ParquetFileReader.open(
              HadoopInputFile.fromPath(
                  new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
        assertTrue(reader.getFooter().getBlocks().size() > 1, name + ": row groups");
        for (BlockMetaData block : reader.getFooter().getBlocks()) {
          for (ColumnChunkMetaData chunk : block.getColumns()) {
            chunk
                .getEncodings()
                .forEach(e -> encodings.add(chunk.getPath().toDotString() + ":" + e));
          }
        }
      }
      // Dictionaries by default; a PLAIN fallback in a chunk with a small dictionary page; only
      // PLAIN without dictionaries.
      assertEquals(
          setting.length == 0 || setting[0].contains("size"),
          encodings.contains("label:PLAIN_DICTIONARY"),
          name + " " + encodings);
      assertEquals(setting.length > 0, encodings.contains("label:PLAIN"), name + " " + encodings);

      for (String vectorized : new String[] {"false", "true"}) {
        session.conf().set("spark.sql.parquet.enableVectorizedReader", vectorized);
        try {
          Dataset<Row> back = session.read().parquet(file.getParent().toString());
          List<String> rows = new ArrayList<>();
          for (Row r : back.collectAsList()) {
            rows.add(
                r.getLong(0)
                    + ","
                    + r.get(1)
                    + ","
                    + r.get(2)
                    + ","
                    + r.get(3)
                    + ","
                    + r.get(4)
                    + ","
                    + r.get(5)
                    + ","
                    + r.getInt(6));
          }
          rows.sort(null);
          assertEquals(expected, rows, name + ", vectorized reader: " + vectorized);
          // Filters pushed down to the pages' statistics keep every matching row.
          assertEquals(
              expected.stream().filter(e -> e.split(",")[1].equals("label-7")).count(),
              back.where("label = 'label-7'").count(),
              name + ", vectorized reader: " + vectorized);
          assertEquals(
              expected.stream()
                  .filter(
                      e ->
                          !e.split(",")[2].equals("null")
                              && new BigDecimal(e.split(",")[2]).compareTo(new BigDecimal("20"))
                                  > 0)
                  .count(),
              back.where("amount > 20").count(),
              name + ", vectorized reader: " + vectorized);
        } finally {
          session.conf().unset("spark.sql.parquet.enableVectorizedReader");
        }
      }
      try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
          Statement st = db.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT count(*), count(label), sum(amount), sum(price), sum(score), sum(head), sum(key) FROM read_parquet('"
                      + file
                      + "')")) {
        assertTrue(rs.next());
        assertEquals(expected.size(), rs.getLong(1), name);
        assertEquals(
            expected.stream().filter(e -> !e.split(",")[1].equals("null")).count(),
            rs.getLong(2),
            name);
        BigDecimal amounts = BigDecimal.ZERO;
        BigDecimal prices = BigDecimal.ZERO;
        double scores = 0;
        long heads = 0;
        long keys = 0;
        for (String e : expected) {
          String[] v = e.split(",");
          amounts = v[2].equals("null") ? amounts : amounts.add(new BigDecimal(v[2]));
          prices = v[3].equals("null") ? prices : prices.add(new BigDecimal(v[3]));
          scores += v[4].equals("null") ? 0 : Double.parseDouble(v[4]);
          heads += Long.parseLong(v[5]);
          keys += Long.parseLong(v[6]);
        }
        assertEquals(0, amounts.compareTo(rs.getBigDecimal(3)), name);
        assertEquals(0, prices.compareTo(rs.getBigDecimal(4)), name);
        assertEquals(scores, rs.getDouble(5), 1e-9, name);
        assertEquals(heads, rs.getLong(6), name);
        assertEquals(keys, rs.getLong(7), name);
      }
    }
  }

  /** The Hadoop configuration Spark's write support gets for a write of {@code schema}. */
  private static Configuration writeConfiguration(SparkSession session, StructType schema)
      throws IOException {
    org.apache.hadoop.mapreduce.Job job =
        org.apache.hadoop.mapreduce.Job.getInstance(
            new Configuration(session.sparkContext().hadoopConfiguration()));
    new MatrixParquetFormat()
        .prepareWrite(session, job, scala.collection.immutable.Map$.MODULE$.empty(), schema);
    return job.getConfiguration();
  }

  /**
   * The job's rows for self-attention inputs of {@code input} (id {@code id}, sequence {@code x}).
   */
  private static OutputRows outputRows(
      StructType input, List<String> partitionBy, MapsSetting maps) {
    return new OutputRows(
        InputLayout.resolve(
            input, "id", "x", "query", "key", "value", "key_padding_mask", partitionBy, 2, 2, 2),
        maps);
  }

  /** An encryption factory that encrypts nothing: Parquet encryption configured, plain files. */
  public static final class NoEncryption implements EncryptionPropertiesFactory {
    @Override
    public FileEncryptionProperties getFileEncryptionProperties(
        org.apache.hadoop.conf.Configuration conf,
        org.apache.hadoop.fs.Path file,
        WriteSupport.WriteContext context) {
      return null;
    }
  }

  /**
   * When the bulk writer does not take a file (Parquet encryption configured), Spark's writer does,
   * with the schema of that file, not the write's.
   */
  @Test
  void sparksWriterTakesTheSchemaItIsGiven() throws Exception {
    SparkSession session = SparkTestSession.get();
    org.apache.hadoop.mapreduce.Job job =
        org.apache.hadoop.mapreduce.Job.getInstance(
            new org.apache.hadoop.conf.Configuration(session.sparkContext().hadoopConfiguration()));
    job.getConfiguration().set("parquet.crypto.factory.class", NoEncryption.class.getName());
    scala.collection.immutable.Map<String, String> noOptions =
        scala.collection.immutable.Map$.MODULE$.empty();
    new MatrixParquetFormat().prepareWrite(session, job, noOptions, SCHEMA);
    StructType part =
        DataTypes.createStructType(
            List.of(
                DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("label", DataTypes.StringType, true)));
    Path file = dir.resolve("spark-writer").resolve("part-0.parquet");
    var context =
        new org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl(
            job.getConfiguration(), new org.apache.hadoop.mapreduce.TaskAttemptID());
    var writer = MatrixParquetFormat.newWriter(file.toString(), part, context);
    assertFalse(writer instanceof MatrixParquetWriter, "encryption configured: Spark's writer");
    writer.write(
        new org.apache.spark.sql.catalyst.expressions.GenericInternalRow(
            new Object[] {7L, org.apache.spark.unsafe.types.UTF8String.fromString("seven")}));
    writer.close();
    List<Row> back = session.read().parquet(file.getParent().toString()).collectAsList();
    assertEquals(List.of(RowFactory.create(7L, "seven")), back);
  }

  private static void assertSameRows(List<Row> expected, List<Row> actual, String reader) {
    assertEquals(expected.size(), actual.size(), reader + ": rows");
    for (int i = 0; i < expected.size(); i++) {
      assertTrue(
          expected.get(i).equals(actual.get(i)), reader + ": row id " + expected.get(i).get(0));
    }
  }

  private static List<Row> sorted(Dataset<Row> df) {
    List<Row> list = new ArrayList<>(df.collectAsList());
    list.sort(Comparator.comparingLong(r -> r.getLong(0)));
    return list;
  }

  private static List<Path> parquetFiles(Path dataset) throws IOException {
    try (Stream<Path> files = Files.walk(dataset)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
    }
  }
}
