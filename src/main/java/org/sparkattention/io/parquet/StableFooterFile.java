package org.sparkattention.io.parquet;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * An output file whose footer is the same bytes for the same data. parquet-java collects each
 * column chunk's encodings in a {@code HashSet} of enum constants, whose order follows identity
 * hash codes and so changes from one JVM to the next: two runs writing the same values wrote
 * footers that differed in the order of two encodings. Everything written after {@link #holdTail()}
 * (indexes and footer, a few kilobytes) is kept in memory and, at close, the footer's encoding
 * lists are sorted before it is written; the footer keeps its length, so no offset moves.
 */
public final class StableFooterFile implements OutputFile {
  private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

  private final OutputFile file;
  private TailHoldingStream stream;

  public StableFooterFile(OutputFile file) {
    this.file = file;
  }

  /** From now on (the data is written, the footer comes next) writes are held until close. */
  public void holdTail() {
    stream.hold = new ByteArrayOutputStream();
  }

  @Override
  public PositionOutputStream create(long blockSizeHint) throws IOException {
    stream = new TailHoldingStream(file.create(blockSizeHint));
    return stream;
  }

  @Override
  public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
    stream = new TailHoldingStream(file.createOrOverwrite(blockSizeHint));
    return stream;
  }

  @Override
  public boolean supportsBlockSize() {
    return file.supportsBlockSize();
  }

  @Override
  public long defaultBlockSize() {
    return file.defaultBlockSize();
  }

  @Override
  public String getPath() {
    return file.getPath();
  }

  /**
   * The file's tail (everything after the data, ending with the footer, its length and the magic
   * bytes) with the footer's encoding lists in a fixed order; the tail as it was when its footer
   * cannot be read or would change length.
   */
  static byte[] stableTail(byte[] tail) {
    int n = tail.length;
    if (n < 8 || !Arrays.equals(Arrays.copyOfRange(tail, n - 4, n), MAGIC)) {
      return tail; // an encrypted footer ("PARE") or not a footer: left as it is
    }
    int footerLen = ByteBuffer.wrap(tail, n - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    int start = n - 8 - footerLen;
    if (footerLen <= 0 || start < 0) {
      return tail;
    }
    try {
      FileMetaData footer = Util.readFileMetaData(new ByteArrayInputStream(tail, start, footerLen));
      for (RowGroup group : footer.getRow_groups()) {
        for (ColumnChunk chunk : group.getColumns()) {
          if (chunk.isSetMeta_data() && chunk.getMeta_data().isSetEncodings()) {
            List<Encoding> sorted = new ArrayList<>(chunk.getMeta_data().getEncodings());
            sorted.sort(Comparator.comparingInt(Encoding::getValue));
            chunk.getMeta_data().setEncodings(sorted);
          }
        }
      }
      ByteArrayOutputStream rewritten = new ByteArrayOutputStream(footerLen);
      Util.writeFileMetaData(footer, rewritten);
      if (rewritten.size() != footerLen) {
        return tail;
      }
      byte[] out = tail.clone();
      System.arraycopy(rewritten.toByteArray(), 0, out, start, footerLen);
      return out;
    } catch (IOException e) {
      return tail;
    }
  }

  /** Passes writes through until {@link #hold} is set, then keeps them for close. */
  private static final class TailHoldingStream extends PositionOutputStream {
    private final PositionOutputStream out;
    private ByteArrayOutputStream hold;
    private boolean closed;

    TailHoldingStream(PositionOutputStream out) {
      this.out = out;
    }

    @Override
    public long getPos() throws IOException {
      return out.getPos() + (hold == null ? 0 : hold.size());
    }

    @Override
    public void write(int b) throws IOException {
      if (hold != null) {
        hold.write(b);
      } else {
        out.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (hold != null) {
        hold.write(b, off, len);
      } else {
        out.write(b, off, len);
      }
    }

    @Override
    public void flush() throws IOException {
      if (hold == null) {
        out.flush();
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      if (hold != null) {
        out.write(stableTail(hold.toByteArray()));
      }
      out.close();
    }
  }
}
