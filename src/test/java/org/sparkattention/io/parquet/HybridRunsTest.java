package org.sparkattention.io.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridDecoder;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.junit.jupiter.api.Test;

/** The hybrid runs against parquet-java's own decoder, and no larger than its encoder's. */
class HybridRunsTest {
  @Test
  void parquetsDecoderReadsBackEveryValue() throws IOException {
    Random rnd = new Random(11);
    for (int trial = 0; trial < 3000; trial++) {
      int bitWidth = trial % 19;
      int n = rnd.nextInt(trial % 10 == 0 ? 3000 : 90);
      int[] values = new int[n + rnd.nextInt(3)]; // the array may be longer than the page
      int bound = 1 << bitWidth;
      for (int i = 0; i < n; ) {
        // Runs of every length, so that repeats start on and off group boundaries.
        int v = rnd.nextInt(bound);
        int run = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(20) : 1;
        for (int r = 0; r < run && i < n; r++) {
          values[i++] = v;
        }
      }
      byte[] page = HybridRuns.dictionaryIndices(values, n, bitWidth);
      assertEquals(bitWidth, page[0], "the page starts with its bit width");
      RunLengthBitPackingHybridDecoder decoder =
          new RunLengthBitPackingHybridDecoder(
              bitWidth, ByteBufferInputStream.wrap(ByteBuffer.wrap(page, 1, page.length - 1)));
      for (int i = 0; i < n; i++) {
        assertEquals(
            values[i], decoder.readInt(), "trial " + trial + " width " + bitWidth + " value " + i);
      }
    }
  }

  @Test
  void repeatsTakeRleRunsAsParquetsEncoderDoes() throws IOException {
    // The top-k maps' query column: each query once per rank. Eight repeats are one RLE run of a
    // few bytes, as Parquet's encoder writes them, instead of 8 bit-packed values.
    int n = 20000;
    int[] query = new int[n];
    for (int i = 0; i < n; i++) {
      query[i] = (i / 8) % 1024;
    }
    RunLengthBitPackingHybridEncoder parquets =
        new RunLengthBitPackingHybridEncoder(10, 1024, 1 << 20, new HeapByteBufferAllocator());
    for (int v : query) {
      parquets.writeInt(v);
    }
    long theirs = parquets.toBytes().size();
    int ours = HybridRuns.dictionaryIndices(query, n, 10).length - 1;
    assertTrue(ours <= theirs, ours + " bytes against parquet-java's " + theirs);
    assertTrue(ours <= 3 * n / 8, ours + " bytes: RLE runs of 8 take 3 bytes");
  }

  @Test
  void refusesWidthsPastItsBound() {
    assertThrows(
        IllegalArgumentException.class, () -> HybridRuns.dictionaryIndices(new int[1], 1, 25));
  }
}
