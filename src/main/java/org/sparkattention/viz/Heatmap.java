package org.sparkattention.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws attention maps as heatmaps and per-query statistics as line charts. A map larger than
 * {@link #MAX_CELLS} on a side is block-averaged (each cell the mean of the weights it covers), so
 * a long sequence still fits a readable picture; one colour scale, from 0 to the largest cell shown
 * (a weight, or a block's mean weight), serves every panel and is drawn as a legend.
 */
public final class Heatmap {
  /** Pixels per side of one map panel. */
  static final int PANEL = 320;

  /**
   * Cells per side of a drawn map at most (two pixels each); larger maps are block-averaged down to
   * it.
   */
  static final int MAX_CELLS = PANEL / 2;

  static final int MARGIN = 48;
  static final int LEGEND = 70;

  /** Viridis at nine points, dark (0) to bright (1): sequential and readable in grey. */
  private static final int[] RAMP = {
    0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c, 0x28ae80, 0x5ec962, 0xaadc32, 0xfde725
  };

  private Heatmap() {}

  /** One map to draw: its title and its weights, queries x keys. */
  public record Panel(String title, float[][] weights) {}

  /** One head's statistic along the queries, for {@link #charts}. */
  public record Series(String label, float[] values) {}

  /** The colour of {@code v} in [0, 1] on the ramp. */
  static Color colour(double v) {
    double x = Math.max(0, Math.min(1, v)) * (RAMP.length - 1);
    int i = Math.min(RAMP.length - 2, (int) x);
    double f = x - i;
    int a = RAMP[i];
    int b = RAMP[i + 1];
    int r = (int) Math.round(((a >> 16) & 255) * (1 - f) + ((b >> 16) & 255) * f);
    int g = (int) Math.round(((a >> 8) & 255) * (1 - f) + ((b >> 8) & 255) * f);
    int bl = (int) Math.round((a & 255) * (1 - f) + (b & 255) * f);
    return new Color(r, g, bl);
  }

  /** {@code m} block-averaged to at most {@code max} cells per side. */
  static float[][] blockAverage(float[][] m, int max) {
    int rows = m.length;
    int cols = rows == 0 ? 0 : m[0].length;
    int outRows = Math.min(rows, max);
    int outCols = Math.min(cols, max);
    float[][] out = new float[outRows][outCols];
    for (int i = 0; i < outRows; i++) {
      int r0 = (int) ((long) i * rows / outRows);
      int r1 = (int) ((long) (i + 1) * rows / outRows);
      for (int j = 0; j < outCols; j++) {
        int c0 = (int) ((long) j * cols / outCols);
        int c1 = (int) ((long) (j + 1) * cols / outCols);
        double sum = 0;
        for (int r = r0; r < r1; r++) {
          for (int c = c0; c < c1; c++) {
            sum += m[r][c];
          }
        }
        out[i][j] = (float) (sum / ((r1 - r0) * (c1 - c0)));
      }
    }
    return out;
  }

  /** The panels in a grid, with axes of token indices and a shared colour legend. */
  public static BufferedImage draw(String title, List<Panel> panels) {
    int columns = (int) Math.ceil(Math.sqrt(panels.size()));
    int rows = (panels.size() + columns - 1) / columns;
    int cell = PANEL + 2 * MARGIN;
    int width = columns * cell + LEGEND;
    int height = rows * cell + MARGIN;
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(image);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString(title, MARGIN, 22);
    // The scale is that of the cells shown: block averages of a long sequence stay visible.
    List<float[][]> shown = new ArrayList<>();
    float max = 0;
    for (Panel p : panels) {
      float[][] cells = blockAverage(p.weights(), MAX_CELLS);
      shown.add(cells);
      for (float[] row : cells) {
        for (float v : row) {
          max = Math.max(max, v);
        }
      }
    }
    float scale = max > 0 ? max : 1;
    for (int p = 0; p < panels.size(); p++) {
      int x0 = (p % columns) * cell + MARGIN;
      int y0 = (p / columns) * cell + MARGIN + 16;
      drawPanel(g, panels.get(p), shown.get(p), x0, y0, scale);
    }
    drawLegend(g, columns * cell + 10, MARGIN + 16, rows * cell - MARGIN, max);
    g.dispose();
    return image;
  }

  private static void drawPanel(
      Graphics2D g, Panel panel, float[][] cells, int x0, int y0, float scale) {
    float[][] m = panel.weights();
    int queries = m.length;
    int keys = queries == 0 ? 0 : m[0].length;
    int rows = cells.length;
    int cols = rows == 0 ? 0 : cells[0].length;
    for (int i = 0; i < rows; i++) {
      int py0 = y0 + i * PANEL / rows;
      int py1 = y0 + (i + 1) * PANEL / rows;
      for (int j = 0; j < cols; j++) {
        int px0 = x0 + j * PANEL / cols;
        int px1 = x0 + (j + 1) * PANEL / cols;
        g.setColor(colour(cells[i][j] / scale));
        g.fillRect(px0, py0, Math.max(1, px1 - px0), Math.max(1, py1 - py0));
      }
    }
    g.setColor(Color.BLACK);
    g.drawRect(x0 - 1, y0 - 1, PANEL + 1, PANEL + 1); // around the cells, not over them
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(panel.title(), x0, y0 - 6);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
    for (int t : ticks(keys)) {
      int x = x0 + (int) ((t + 0.5) * PANEL / keys);
      g.drawLine(x, y0 + PANEL + 1, x, y0 + PANEL + 5);
      g.drawString(String.valueOf(t), x - 4, y0 + PANEL + 15);
    }
    for (int t : ticks(queries)) {
      int y = y0 + (int) ((t + 0.5) * PANEL / queries);
      g.drawLine(x0 - 6, y, x0 - 2, y); // outside the border: no cell is drawn over
      String label = String.valueOf(t);
      g.drawString(label, x0 - 6 - g.getFontMetrics().stringWidth(label), y + 4);
    }
    g.drawString("key", x0 + PANEL / 2 - 8, y0 + PANEL + 28);
    g.drawString("query", x0 - 40, y0 - 18 + 0);
  }

  /** Up to five token indices to label: 0, the quarters and the last. */
  static int[] ticks(int n) {
    if (n <= 1) {
      return new int[] {0};
    }
    List<Integer> t = new ArrayList<>();
    for (int k = 0; k <= 4; k++) {
      int v = (int) Math.round((double) k * (n - 1) / 4);
      if (!t.contains(v)) {
        t.add(v);
      }
    }
    return t.stream().mapToInt(Integer::intValue).toArray();
  }

  private static void drawLegend(Graphics2D g, int x, int y, int height, float max) {
    int h = Math.max(100, Math.min(height, PANEL));
    for (int i = 0; i < h; i++) {
      g.setColor(colour(1.0 - (double) i / (h - 1)));
      g.fillRect(x, y + i, 16, 1);
    }
    g.setColor(Color.BLACK);
    g.drawRect(x, y, 16, h);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
    g.drawString(String.format(Locale.ROOT, "%.3g", max), x + 20, y + 8);
    g.drawString("0", x + 20, y + h);
    g.drawString("weight", x, y + h + 14);
  }

  /** One line chart per statistic, one line per head, over the query index, with a legend. */
  public static BufferedImage charts(
      String title, List<String> statistics, List<List<Series>> data) {
    int chartW = 520;
    int chartH = 200;
    int width = chartW + 2 * MARGIN + 120;
    int height = statistics.size() * (chartH + MARGIN) + MARGIN;
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(image);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString(title, MARGIN, 22);
    for (int s = 0; s < statistics.size(); s++) {
      int x0 = MARGIN;
      int y0 = MARGIN + s * (chartH + MARGIN);
      List<Series> lines = data.get(s);
      double lo = 0;
      double hi = 0;
      int n = 0;
      for (Series line : lines) {
        for (float v : line.values()) {
          hi = Math.max(hi, v);
          lo = Math.min(lo, v);
        }
        n = Math.max(n, line.values().length);
      }
      if (hi == lo) {
        hi = lo + 1;
      }
      g.setColor(Color.BLACK);
      g.drawRect(x0, y0, chartW, chartH);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      g.drawString(statistics.get(s), x0, y0 - 6);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
      g.drawString(String.format(Locale.ROOT, "%.3g", hi), x0 + chartW + 4, y0 + 8);
      g.drawString(String.format(Locale.ROOT, "%.3g", lo), x0 + chartW + 4, y0 + chartH);
      for (int t : ticks(n)) {
        int x = x0 + (n <= 1 ? 0 : (int) ((double) t * chartW / (n - 1)));
        g.drawString(String.valueOf(t), x - 4, y0 + chartH + 14);
      }
      g.drawString("query", x0 + chartW / 2 - 12, y0 + chartH + 28);
      g.setStroke(new BasicStroke(1.5f));
      for (int l = 0; l < lines.size(); l++) {
        Color c = colour(lines.size() == 1 ? 0.3 : 0.9 * l / (lines.size() - 1));
        g.setColor(c);
        float[] v = lines.get(l).values();
        for (int q = 1; q < v.length; q++) {
          int xa = x0 + (int) ((double) (q - 1) * chartW / Math.max(1, n - 1));
          int xb = x0 + (int) ((double) q * chartW / Math.max(1, n - 1));
          int ya = y0 + chartH - (int) ((v[q - 1] - lo) / (hi - lo) * chartH);
          int yb = y0 + chartH - (int) ((v[q] - lo) / (hi - lo) * chartH);
          g.drawLine(xa, ya, xb, yb);
        }
        g.fillRect(x0 + chartW + 50, y0 + 20 + 14 * l, 10, 10);
        g.setColor(Color.BLACK);
        g.drawString(lines.get(l).label(), x0 + chartW + 64, y0 + 29 + 14 * l);
      }
      g.setStroke(new BasicStroke(1f));
    }
    g.dispose();
    return image;
  }

  private static Graphics2D canvas(BufferedImage image) {
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    g.setColor(Color.BLACK);
    return g;
  }

  /** Writes {@code image} as PNG. */
  public static void write(BufferedImage image, String path) {
    try {
      if (!ImageIO.write(image, "png", new File(path))) {
        throw new IOException("no PNG writer");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path, e);
    }
  }
}
