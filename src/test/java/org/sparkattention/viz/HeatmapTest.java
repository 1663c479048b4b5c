package org.sparkattention.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.io.OutputRows;
import org.sparkattention.job.SparkTestSession;
import scala.collection.immutable.ArraySeq;

/**
 * The pictures show what the datasets hold: identity-like attention is the heatmap's bright
 * diagonal (checked on pixels, also for a sequence long enough to be block-averaged), a second head
 * attending to key 0 a bright first column; the summary charts draw a line per head.
 */
@SparkTest
class HeatmapTest {
  @TempDir Path dir;

  /** A maps dataset of id 5 with two heads: the identity, and all weight on key 0. */
  private Path mapsOf(int len) {
    List<Row> rows = new ArrayList<>();
    for (int head = 0; head < 2; head++) {
      Object[] m = new Object[len];
      for (int i = 0; i < len; i++) {
        Object[] row = new Object[len];
        for (int j = 0; j < len; j++) {
          row[j] = (head == 0 ? i == j : j == 0) ? 1f : 0f;
        }
        m[i] = ArraySeq.unsafeWrapArray(row);
      }
      rows.add(RowFactory.create(5L, head, ArraySeq.unsafeWrapArray(m)));
    }
    StructType schema =
        DataTypes.createStructType(
            List.of(
                DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("head", DataTypes.IntegerType, true),
                DataTypes.createStructField("weights", OutputRows.FLOAT_MATRIX, false)));
    Path out = dir.resolve("maps-" + len);
    SparkTestSession.get().createDataFrame(rows, schema).write().parquet(out.toString());
    return out;
  }

  private static double brightness(BufferedImage image, int x, int y) {
    Color c = new Color(image.getRGB(x, y));
    return (0.3 * c.getRed() + 0.59 * c.getGreen() + 0.11 * c.getBlue()) / 255;
  }

  @Test
  void identityAttentionIsTheBrightDiagonal() throws Exception {
    SparkSession spark = SparkTestSession.get();
    for (int len : new int[] {40, 600}) { // 600: block-averaged to 160 cells a side
      Path png = dir.resolve("map-" + len + ".png");
      HeatmapCommand.run(
          spark,
          HeatmapCommand.options(
              new String[] {
                "--maps", mapsOf(len).toString(), "--id", "5", "--output", png.toString()
              }));
      BufferedImage image = ImageIO.read(png.toFile());
      int x0 = Heatmap.MARGIN;
      int y0 = Heatmap.MARGIN + 16;
      int panel = Heatmap.PANEL;
      int head1 = x0 + panel + 2 * Heatmap.MARGIN; // the second panel, right of the first
      int diagonal = 0;
      int checked = 0;
      for (int k = 1; k < 10; k++) {
        int at = k * panel / 10;
        // Head 0: bright on the diagonal, dark beside it.
        double on = brightness(image, x0 + at, y0 + at);
        double off = brightness(image, x0 + (at + panel / 2) % panel, y0 + at);
        diagonal += on > 0.5 && off < 0.25 ? 1 : 0;
        checked++;
        // Head 1: every query's weight on key 0, the first column.
        assertTrue(brightness(image, head1, y0 + at) > 0.5, "len " + len + ": key 0 bright");
        assertTrue(brightness(image, head1 + panel / 2, y0 + at) < 0.25, "len " + len);
      }
      assertEquals(checked, diagonal, "len " + len + ": the diagonal, and only it, is bright");
    }
  }

  @Test
  void blockAveragesAreTheMeansOfTheWeightsTheyCover() {
    float[][] m = new float[7][5];
    m[3][2] = 7f;
    float[][] small = Heatmap.blockAverage(m, 2);
    // Rows 0-2 and 3-6, columns 0-1 and 2-4: the weight is in the last cell, over 4 x 3 weights.
    assertEquals(0f, small[0][0]);
    assertEquals(0f, small[0][1]);
    assertEquals(0f, small[1][0]);
    assertEquals(7f / 12, small[1][1], 1e-7);
    assertEquals(7f, Heatmap.blockAverage(m, 160)[3][2], "small maps as they are");
  }

  @Test
  void summaryChartsDrawALinePerHead() throws Exception {
    List<Row> rows = new ArrayList<>();
    for (int head = 0; head < 3; head++) {
      Object[] v = new Object[50];
      for (int q = 0; q < 50; q++) {
        v[q] = (float) (head + Math.sin(q / 5.0));
      }
      ArraySeq<Object> values = ArraySeq.unsafeWrapArray(v);
      rows.add(RowFactory.create(9L, head, values, values, values));
    }
    var floats = DataTypes.createArrayType(DataTypes.FloatType, false);
    StructType schema =
        DataTypes.createStructType(
            List.of(
                DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("head", DataTypes.IntegerType, true),
                DataTypes.createStructField("entropy", floats, false),
                DataTypes.createStructField("first_key_weight", floats, false),
                DataTypes.createStructField("mean_distance", floats, false)));
    Path summary = dir.resolve("summary");
    SparkTestSession.get().createDataFrame(rows, schema).write().parquet(summary.toString());
    Path png = dir.resolve("summary.png");
    HeatmapCommand.run(
        SparkTestSession.get(),
        Map.of("--summary", summary.toString(), "--id", "9", "--output", png.toString()));
    BufferedImage image = ImageIO.read(png.toFile());
    int coloured = 0;
    for (int x = Heatmap.MARGIN + 1; x < Heatmap.MARGIN + 520; x++) {
      for (int y = Heatmap.MARGIN + 1; y < Heatmap.MARGIN + 200; y++) {
        Color c = new Color(image.getRGB(x, y));
        coloured += c.getRed() != c.getGreen() || c.getGreen() != c.getBlue() ? 1 : 0;
      }
    }
    assertTrue(coloured > 3 * 520, "three lines drawn across the entropy chart: " + coloured);

    AttentionException missing =
        assertThrows(
            AttentionException.class,
            () ->
                HeatmapCommand.run(
                    SparkTestSession.get(),
                    Map.of(
                        "--summary",
                        summary.toString(),
                        "--id",
                        "10",
                        "--output",
                        png.toString())));
    assertTrue(missing.getMessage().contains("no row of id 10"), missing.getMessage());
    assertThrows(AttentionException.class, () -> HeatmapCommand.options(new String[] {"--id"}));
  }
}
