package org.sparkattention.config;

import java.io.Serializable;

/**
 * {@code bad.rows.max}: how many bad rows a quarantine run may set aside before it fails, as a
 * count of rows ({@code 1000}) or a share of the input rows ({@code 0.01} or {@code 1%}).
 *
 * @param count the most bad rows, or -1 when {@code fraction} applies
 * @param fraction the most bad rows as a share of the input rows, in [0, 1]
 */
public record BadRowsLimit(long count, double fraction) implements Serializable {

  /** Parses {@code 1000}, {@code 0.01} or {@code 1%}; null when it is none of these. */
  static BadRowsLimit parse(String s) {
    if (s.endsWith("%")) {
      double percent = Double.parseDouble(s.substring(0, s.length() - 1).trim());
      return percent >= 0 && percent <= 100 ? new BadRowsLimit(-1, percent / 100) : null;
    }
    if (s.contains(".") || s.contains("e") || s.contains("E")) {
      double fraction = Double.parseDouble(s);
      return fraction >= 0 && fraction <= 1 ? new BadRowsLimit(-1, fraction) : null;
    }
    long count = Long.parseLong(s);
    return count >= 0 ? new BadRowsLimit(count, 0) : null;
  }

  /** The most bad rows allowed among {@code rows} input rows. */
  public long allowed(long rows) {
    return count >= 0 ? count : (long) Math.floor(fraction * rows);
  }

  /** As the user wrote it, for messages: "1000 rows" or "1% of the input rows". */
  public String describe() {
    return count >= 0 ? count + " row(s)" : (fraction * 100) + "% of the input rows";
  }
}
