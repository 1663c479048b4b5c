package org.sparkattention.io.parquet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.CompressionCodec;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.SchemaElement;
import org.apache.parquet.format.Type;
import org.apache.parquet.format.Util;
import org.junit.jupiter.api.Test;

/** A footer's encoding lists come out in one order, whatever order parquet-java's set gave. */
class StableFooterFileTest {
  /** Index bytes, then a footer with {@code encodings}, its length and the magic. */
  private static byte[] tail(List<Encoding> encodings, String magic) throws Exception {
    ColumnMetaData column =
        new ColumnMetaData(
            Type.INT64, encodings, List.of("id"), CompressionCodec.SNAPPY, 10, 100, 100, 4);
    ColumnChunk chunk = new ColumnChunk(4);
    chunk.setMeta_data(column);
    FileMetaData footer =
        new FileMetaData(
            2,
            List.of(new SchemaElement("spark_schema")),
            10,
            List.of(new RowGroup(List.of(chunk), 100, 10)));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Util.writeFileMetaData(footer, bytes);
    ByteArrayOutputStream tail = new ByteArrayOutputStream();
    tail.write(new byte[] {1, 2, 3}); // a column index before the footer
    tail.write(bytes.toByteArray());
    tail.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.size()).array());
    tail.write(magic.getBytes(StandardCharsets.US_ASCII));
    return tail.toByteArray();
  }

  private static List<Encoding> encodings(byte[] tail) throws Exception {
    int n = tail.length;
    int len = ByteBuffer.wrap(tail, n - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    FileMetaData footer = Util.readFileMetaData(new ByteArrayInputStream(tail, n - 8 - len, len));
    return footer.getRow_groups().get(0).getColumns().get(0).getMeta_data().getEncodings();
  }

  @Test
  void encodingsAreSortedAndNothingElseMoves() throws Exception {
    byte[] shuffled = tail(List.of(Encoding.BIT_PACKED, Encoding.RLE, Encoding.PLAIN), "PAR1");
    byte[] sorted = tail(List.of(Encoding.PLAIN, Encoding.RLE, Encoding.BIT_PACKED), "PAR1");
    byte[] stable = StableFooterFile.stableTail(shuffled);
    assertEquals(List.of(Encoding.PLAIN, Encoding.RLE, Encoding.BIT_PACKED), encodings(stable));
    assertArrayEquals(sorted, stable, "the same bytes as a footer written in order");
    assertArrayEquals(StableFooterFile.stableTail(sorted), stable);
    assertArrayEquals(Arrays.copyOf(shuffled, 3), Arrays.copyOf(stable, 3), "indexes unchanged");
  }

  @Test
  void anEncryptedFooterIsLeftAsItIs() throws Exception {
    byte[] encrypted = tail(List.of(Encoding.RLE, Encoding.PLAIN), "PARE");
    assertArrayEquals(encrypted, StableFooterFile.stableTail(encrypted));
  }
}
