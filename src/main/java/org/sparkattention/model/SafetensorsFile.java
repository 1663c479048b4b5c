package org.sparkattention.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;

/**
 * A safetensors file, read whole into memory and validated: an 8-byte little-endian header length,
 * a JSON header naming each tensor's {@code dtype}, {@code shape} and {@code data_offsets}, then
 * the raw little-endian data. Tensors of dtype F16, BF16, F32 and F64 can be read as {@code
 * double[]}; tensors of other dtypes are validated and otherwise ignored.
 */
public final class SafetensorsFile {
  /** Headers larger than this are refused as corrupt (the format's own reference limit). */
  static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private static final Map<String, Integer> DTYPE_BYTES =
      Map.ofEntries(
          Map.entry("BOOL", 1),
          Map.entry("U8", 1),
          Map.entry("I8", 1),
          Map.entry("F8_E4M3", 1),
          Map.entry("F8_E5M2", 1),
          Map.entry("I16", 2),
          Map.entry("U16", 2),
          Map.entry("F16", 2),
          Map.entry("BF16", 2),
          Map.entry("I32", 4),
          Map.entry("U32", 4),
          Map.entry("F32", 4),
          Map.entry("I64", 8),
          Map.entry("U64", 8),
          Map.entry("F64", 8));

  /** One tensor's header entry. */
  public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
    public long elementCount() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    public String shapeString() {
      StringBuilder sb = new StringBuilder("(");
      for (int i = 0; i < shape.length; i++) {
        sb.append(i == 0 ? "" : ", ").append(shape[i]);
      }
      return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }
  }

  private final String source;
  private final Map<String, TensorInfo> tensors;
  private final ByteBuffer data;
  private final String sha256;

  private SafetensorsFile(
      String source, Map<String, TensorInfo> tensors, ByteBuffer data, String sha256) {
    this.source = source;
    this.tensors = tensors;
    this.data = data;
    this.sha256 = sha256;
  }

  /** The file's SHA-256, in hex: which weights a run used (the summary's provenance). */
  public String sha256() {
    return sha256;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }

  /**
   * Reads and validates a safetensors file from a local path or a Hadoop file-system URI ({@code
   * hdfs://}, {@code s3a://}, {@code file:} ...).
   *
   * @throws AttentionException (WEIGHTS) naming the file and what is wrong with it
   */
  public static SafetensorsFile read(String location) {
    return parse(location, readAllBytes(location));
  }

  /** Validates an in-memory safetensors image; {@code source} names it in error messages. */
  public static SafetensorsFile parse(String source, byte[] bytes) {
    if (bytes.length < 8) {
      throw corrupt(
          source, "it has " + bytes.length + " bytes, fewer than the 8-byte header length");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLen = buf.getLong(0);
    if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || headerLen > bytes.length - 8L) {
      throw corrupt(
          source,
          "its header length field says "
              + headerLen
              + " bytes, but the file has "
              + (bytes.length - 8L)
              + " bytes after it (truncated or not a safetensors file)");
    }
    String json = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (IOException e) {
      throw corrupt(source, "its JSON header does not parse: " + firstLine(e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw corrupt(source, "its JSON header is not an object");
    }
    long dataLen = bytes.length - 8L - headerLen;
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      tensors.put(e.getKey(), parseEntry(source, e.getKey(), e.getValue(), dataLen));
    }
    checkNoOverlap(source, tensors);
    ByteBuffer data =
        ByteBuffer.wrap(bytes, (int) (8 + headerLen), (int) dataLen)
            .slice()
            .order(ByteOrder.LITTLE_ENDIAN);
    return new SafetensorsFile(source, Collections.unmodifiableMap(tensors), data, sha256(bytes));
  }

  private static TensorInfo parseEntry(String source, String name, JsonNode node, long dataLen) {
    if (!node.isObject()) {
      throw corrupt(source, "header entry '" + name + "' is not an object");
    }
    JsonNode dtypeNode = node.get("dtype");
    JsonNode shapeNode = node.get("shape");
    JsonNode offsetsNode = node.get("data_offsets");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw corrupt(source, "tensor '" + name + "' has no string 'dtype'");
    }
    if (shapeNode == null || !shapeNode.isArray()) {
      throw corrupt(source, "tensor '" + name + "' has no 'shape' array");
    }
    if (offsetsNode == null
        || !offsetsNode.isArray()
        || offsetsNode.size() != 2
        || !offsetsNode.get(0).canConvertToLong()
        || !offsetsNode.get(1).canConvertToLong()) {
      throw corrupt(source, "tensor '" + name + "' has no 'data_offsets' pair [begin, end]");
    }
    String dtype = dtypeNode.asText();
    long[] shape = new long[shapeNode.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.canConvertToLong() || d.asLong() < 0) {
        throw corrupt(source, "tensor '" + name + "' has a shape entry that is not a size: " + d);
      }
      shape[i] = d.asLong();
      count = Math.multiplyExact(count, shape[i]);
    }
    long begin = offsetsNode.get(0).asLong();
    long end = offsetsNode.get(1).asLong();
    if (begin < 0 || end < begin || end > dataLen) {
      throw corrupt(
          source,
          "tensor '"
              + name
              + "' has data_offsets ["
              + begin
              + ", "
              + end
              + "] outside the "
              + dataLen
              + " data bytes (truncated file?)");
    }
    Integer width = DTYPE_BYTES.get(dtype);
    if (width != null && count * width != end - begin) {
      throw corrupt(
          source,
          "tensor '"
              + name
              + "' of dtype "
              + dtype
              + " and shape "
              + shape.length
              + "-d "
              + java.util.Arrays.toString(shape)
              + " needs "
              + count * width
              + " bytes but its data_offsets span "
              + (end - begin));
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static void checkNoOverlap(String source, Map<String, TensorInfo> tensors) {
    List<TensorInfo> sorted = new ArrayList<>(tensors.values());
    sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    for (int i = 1; i < sorted.size(); i++) {
      TensorInfo prev = sorted.get(i - 1);
      TensorInfo cur = sorted.get(i);
      if (cur.begin() < prev.end()) {
        throw corrupt(
            source,
            "tensors '" + prev.name() + "' and '" + cur.name() + "' overlap in the data section");
      }
    }
  }

  /** The file or URI this was read from. */
  public String source() {
    return source;
  }

  /** Header entries by tensor name, in header order. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** The named tensor's header entry, or {@code null}. */
  public TensorInfo info(String name) {
    return tensors.get(name);
  }

  /**
   * The named tensor's values widened to double, in the file's (row-major) order.
   *
   * @throws AttentionException (WEIGHTS) if the tensor is missing or of an unsupported dtype
   */
  public double[] readDoubles(String name) {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw UserErrors.tensorMissing(name, String.valueOf(source));
    }
    int n = Math.toIntExact(t.elementCount());
    double[] out = new double[n];
    int base = (int) t.begin();
    switch (t.dtype()) {
      case "F64" -> {
        for (int i = 0; i < n; i++) {
          out[i] = data.getDouble(base + 8 * i);
        }
      }
      case "F32" -> {
        for (int i = 0; i < n; i++) {
          out[i] = data.getFloat(base + 4 * i);
        }
      }
      case "F16" -> {
        for (int i = 0; i < n; i++) {
          out[i] = halfToFloat(data.getShort(base + 2 * i));
        }
      }
      case "BF16" -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((data.getShort(base + 2 * i) & 0xffff) << 16);
        }
      }
      default ->
          throw UserErrors.tensorDtype(name, String.valueOf(source), String.valueOf(t.dtype()));
    }
    return out;
  }

  /** IEEE 754 binary16 to float (Float.float16ToFloat is Java 20+). */
  static float halfToFloat(short bits) {
    int h = bits & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      // Subnormal (or zero): mant * 2^-24, exact in float.
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  private static byte[] readAllBytes(String location) {
    String resolved = location;
    try {
      URI uri = toUri(location);
      if (uri == null || uri.getScheme() == null || uri.getScheme().length() == 1) {
        resolved = Path.of(location).toAbsolutePath().normalize().toString();
        return readLocal(Path.of(location));
      }
      if (uri.getScheme().equals("file")) {
        return readLocal(Path.of(uri));
      }
      org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
      FileSystem fs = path.getFileSystem(new Configuration());
      long len = fs.getFileStatus(path).getLen();
      if (len > Integer.MAX_VALUE - 16) {
        throw corrupt(location, "it is " + len + " bytes, more than this reader's 2 GB limit");
      }
      byte[] bytes = new byte[(int) len];
      try (FSDataInputStream in = fs.open(path)) {
        in.readFully(0, bytes);
      }
      return bytes;
    } catch (java.io.FileNotFoundException | NoSuchFileException e) {
      throw UserErrors.weightsFileMissing(String.valueOf(location), resolved);
    } catch (IOException e) {
      throw UserErrors.weightsFileUnreadable(
          String.valueOf(location), firstLine(e.getMessage()), e);
    }
  }

  private static byte[] readLocal(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long len = ch.size();
      if (len > Integer.MAX_VALUE - 16) {
        throw corrupt(
            path.toString(), "it is " + len + " bytes, more than this reader's 2 GB limit");
      }
      try (InputStream in = java.nio.channels.Channels.newInputStream(ch)) {
        return in.readAllBytes();
      }
    }
  }

  private static URI toUri(String location) {
    try {
      return new URI(location);
    } catch (java.net.URISyntaxException e) {
      return null;
    }
  }

  private static AttentionException corrupt(String source, String what) {
    return UserErrors.notSafetensors(String.valueOf(source), what);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
