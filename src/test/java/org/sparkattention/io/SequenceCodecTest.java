package org.sparkattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/** Rows checked and decoded, without a Spark session: every bad-row reason, exact decoding. */
class SequenceCodecTest {
  private static final SequenceCodec CODEC =
      new SequenceCodec(
          InputLayoutTest.resolve(
              InputLayoutTest.schema(
                  "id", DataTypes.LongType,
                  "tag", DataTypes.StringType,
                  "x", InputLayoutTest.DOUBLES,
                  "key_padding_mask", InputLayoutTest.MASK),
              List.of("tag"),
              3,
              3));

  private static Object matrix(Double[]... tokens) {
    Object[] rows = new Object[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      rows[i] = tokens[i] == null ? null : new GenericArrayData(tokens[i]);
    }
    return new GenericArrayData(rows);
  }

  private static InternalRow row(Long id, String tag, Object x, Boolean... mask) {
    return new GenericInternalRow(
        new Object[] {
          id,
          tag == null ? null : UTF8String.fromString(tag),
          x,
          mask.length == 0 ? null : new GenericArrayData(mask)
        });
  }

  private static final Double[] T0 = {1.0, 2.0, 3.0};
  private static final Double[] T1 = {-4.0, 0.5, 6.25};

  @Test
  void aGoodRowDecodesExactly() {
    InternalRow r = row(7L, "a", matrix(T0, T1), false, true);
    assertNull(CODEC.badRowReason(r));
    DenseMatrix q = CODEC.query(r);
    assertEquals(2, q.numRows());
    assertEquals(3, q.numCols());
    assertEquals(6.25, q.apply(1, 2));
    assertEquals(-4.0, q.apply(1, 0));
    assertArrayEquals(new boolean[] {false, true}, CODEC.keyPaddingMask(r));
    assertEquals("7", CODEC.id(r));
    assertEquals(2, CODEC.queryLen(r));
  }

  @Test
  void decodeBuffersServeRowsOfOneShapeAndDecodeEachExactly() {
    SequenceCodec.DecodeBuffers buffers = new SequenceCodec.DecodeBuffers();
    DenseMatrix first = CODEC.query(row(1L, "a", matrix(T0, T1)), buffers);
    double[] firstValues = first.values();
    DenseMatrix second = CODEC.query(row(2L, "b", matrix(T1, T0)), buffers);
    // The same array, now holding the second row's tokens, exactly as a fresh decode gives them.
    assertSame(firstValues, second.values());
    assertArrayEquals(CODEC.query(row(2L, "b", matrix(T1, T0))).values(), second.values());
    assertEquals(-4.0, second.apply(0, 0));
    // Another shape gets an array of its own; decoding without buffers never shares one.
    DenseMatrix third = CODEC.query(row(3L, "c", matrix(T0)), buffers);
    assertNotSame(firstValues, third.values());
    assertArrayEquals(new double[] {1.0, 2.0, 3.0}, third.values());
    // The first shape again: its array again, with this row's tokens.
    DenseMatrix fourth = CODEC.query(row(5L, "e", matrix(T0, T1)), buffers);
    assertSame(firstValues, fourth.values());
    assertArrayEquals(CODEC.query(row(5L, "e", matrix(T0, T1))).values(), fourth.values());
    assertNotSame(
        CODEC.query(row(4L, "d", matrix(T0))).values(),
        CODEC.query(row(4L, "d", matrix(T0))).values());
  }

  /** A codec whose id column is {@code idColumn} of a (tag string, blob binary, x) input. */
  private static SequenceCodec idBy(String idColumn) {
    return new SequenceCodec(
        InputLayout.resolve(
            InputLayoutTest.schema(
                "tag", DataTypes.StringType,
                "blob", DataTypes.BinaryType,
                "x", InputLayoutTest.DOUBLES),
            idColumn,
            "x",
            "query",
            "key",
            "value",
            "key_padding_mask",
            List.of(),
            3,
            3,
            3));
  }

  @Test
  void idsPrintAsReadersShowThemOnOneLine() {
    InternalRow r =
        new GenericInternalRow(
            new Object[] {UTF8String.fromString("a\nb\tc\u0007"), new byte[] {10, 27}, matrix(T0)});
    assertEquals("a\\nb\\tc\\u0007", idBy("tag").id(r));
    assertEquals("0x0a1b", idBy("blob").id(r));
  }

  @Test
  void everyBadRowHasItsReason() {
    assertReason(row(null, "a", matrix(T0)), "the id column 'id' is null");
    assertReason(row(1L, "a", null), "column 'x' is null");
    assertReason(row(1L, "a", matrix()), "empty sequence");
    assertReason(row(1L, "a", matrix(T0, null)), "token 1 is null");
    assertReason(
        row(1L, "a", matrix(T0, new Double[] {1.0, 2.0})),
        "is ragged: token 0 has 3 values, token 1 has 2");
    assertReason(
        row(1L, "a", matrix(new Double[] {1.0})), "token 0 has 1 values, but the weights need 3");
    assertReason(row(1L, "a", matrix(new Double[] {1.0, null, 2.0})), "token 0 value 1 is null");
    assertReason(
        row(1L, "a", matrix(new Double[] {1.0, Double.NaN, 2.0})), "token 0 value 1 is NaN");
    assertReason(row(1L, "a", matrix(T0, T1), true), "has 1 entries but the sequence has 2 keys");
    assertReason(row(1L, "t".repeat(260), matrix(T0)), "partition.by column 'tag'");
    assertNull(CODEC.badRowReason(row(1L, "t".repeat(200), matrix(T0))), "a 204-byte name is fine");
    // Escaped characters count three bytes each: 84 slashes are 252 bytes, over the limit.
    assertReason(row(1L, "/".repeat(84), matrix(T0)), "directory name of 256 bytes");
  }

  private static void assertReason(InternalRow r, String fragment) {
    String reason = CODEC.badRowReason(r);
    assertTrue(reason != null && reason.contains(fragment), () -> fragment + " in: " + reason);
  }
}
