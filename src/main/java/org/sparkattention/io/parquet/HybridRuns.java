package org.sparkattention.io.parquet;

import java.util.Arrays;

/**
 * Parquet's RLE / bit-packing hybrid encoding of a page of dictionary indices (small non-negative
 * ints), written a page at a time: parquet-java's encoder takes a value per call and looks for a
 * repeat at each (about 10 ns a value here; the top-k maps write three such columns, 38 million
 * values for the headline). A run of 8 or more equal values becomes an RLE run; the rest are
 * bit-packed 8 at a time, least significant bit first, up to 63 groups a run (a one-byte header, as
 * parquet-java writes them), the last group padded with zeros.
 */
public final class HybridRuns {
  private static final int MAX_GROUPS = 63;

  private HybridRuns() {}

  /**
   * A dictionary-encoded page's data: the bit width (one byte), then {@code values[0 .. n)} as
   * hybrid runs of that width ({@code 0 <= value < 2^bitWidth}, {@code bitWidth <= 24}).
   */
  public static byte[] dictionaryIndices(int[] values, int n, int bitWidth) {
    if (bitWidth < 0 || bitWidth > 24) {
      throw new IllegalArgumentException("bit width " + bitWidth + ", expected 0 to 24");
    }
    // Bit-packed at worst: a header per 63 groups and bitWidth bytes a group.
    int groups = (n + 7) / 8;
    byte[] out = new byte[1 + (groups / MAX_GROUPS + 1) + groups * bitWidth];
    out[0] = (byte) bitWidth;
    int at = 1;
    int valueBytes = (bitWidth + 7) / 8;
    int i = 0;
    while (i < n) {
      int run = repeats(values, i, n);
      if (run >= 8) {
        // An RLE run: header and value may outgrow the bit-packed bound on short inputs.
        out = room(out, at, 5 + valueBytes);
        at = varint(out, at, run << 1);
        for (int b = 0; b < valueBytes; b++) {
          out[at++] = (byte) (values[i] >>> (8 * b));
        }
        i += run;
        continue;
      }
      int start = i;
      int packed = 0;
      do {
        i += 8;
        packed++;
      } while (i < n && packed < MAX_GROUPS && repeats(values, i, n) < 8);
      out = room(out, at, 1 + packed * bitWidth);
      out[at++] = (byte) ((packed << 1) | 1);
      long bits = 0;
      int held = 0;
      for (int j = start; j < start + 8 * packed; j++) {
        bits |= (long) (j < n ? values[j] : 0) << held;
        held += bitWidth;
        while (held >= 8) {
          out[at++] = (byte) bits;
          bits >>>= 8;
          held -= 8;
        }
      }
    }
    return at == out.length ? out : Arrays.copyOf(out, at);
  }

  /** How many values from i on equal values[i] (i's included). */
  private static int repeats(int[] values, int i, int n) {
    int v = values[i];
    int j = i + 1;
    while (j < n && values[j] == v) {
      j++;
    }
    return j - i;
  }

  private static byte[] room(byte[] out, int at, int more) {
    return at + more <= out.length ? out : Arrays.copyOf(out, Math.max(at + more, 2 * out.length));
  }

  private static int varint(byte[] out, int at, int value) {
    while ((value & ~0x7f) != 0) {
      out[at++] = (byte) ((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    out[at++] = (byte) value;
    return at;
  }
}
