package org.sparkattention.io.parquet;

import java.util.Arrays;

/**
 * Levels in Parquet's RLE/bit-packing hybrid encoding, as RLE runs only: a run is its length
 * (ULEB128, shifted left one bit) and the level in ceil(bit width / 8) bytes. Adjacent runs of the
 * same level merge.
 */
public final class LevelRuns {
  /** Longest run written as one: its header must fit a 32-bit varint. */
  private static final int MAX_RUN = (1 << 30) - 1;

  private final int levelBytes;
  private byte[] out = new byte[256];
  private int size;
  private int level = -1;
  private long count;

  public LevelRuns(int maxLevel) {
    int bitWidth = 32 - Integer.numberOfLeadingZeros(maxLevel);
    this.levelBytes = (bitWidth + 7) / 8;
  }

  public void add(int value, long n) {
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
  public byte[] finish() {
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
