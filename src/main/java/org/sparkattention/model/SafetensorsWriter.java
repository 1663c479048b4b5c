package org.sparkattention.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes F64 or F32 tensors as a safetensors file (for synthetic weights and tests). Tensors are
 * given row-major, as PyTorch holds them.
 */
public final class SafetensorsWriter {
  private record Tensor(long[] shape, double[] values) {}

  private final Map<String, Tensor> tensors = new LinkedHashMap<>();
  private final String dtype;

  /**
   * @param dtype {@code "F64"} or {@code "F32"}
   */
  public SafetensorsWriter(String dtype) {
    if (!dtype.equals("F64") && !dtype.equals("F32")) {
      throw new IllegalArgumentException("dtype must be F64 or F32, got " + dtype);
    }
    this.dtype = dtype;
  }

  /** Adds a tensor; {@code values} is row-major and not copied. */
  public SafetensorsWriter put(String name, double[] values, long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != values.length) {
      throw new IllegalArgumentException(
          name + ": " + values.length + " values for a shape of " + n + " elements");
    }
    tensors.put(name, new Tensor(shape, values));
    return this;
  }

  /** The file's bytes. */
  public byte[] toBytes() {
    int width = dtype.equals("F64") ? 8 : 4;
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode header = mapper.createObjectNode();
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      ObjectNode entry = header.putObject(e.getKey());
      entry.put("dtype", dtype);
      ArrayNode shape = entry.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      long size = (long) e.getValue().values().length * width;
      entry.putArray("data_offsets").add(offset).add(offset + size);
      offset += size;
    }
    byte[] json;
    try {
      json = mapper.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer buf =
        ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(padded).put(json);
    for (int i = json.length; i < padded; i++) {
      buf.put((byte) ' ');
    }
    for (Tensor t : tensors.values()) {
      for (double v : t.values()) {
        if (width == 8) {
          buf.putDouble(v);
        } else {
          buf.putFloat((float) v);
        }
      }
    }
    return buf.array();
  }

  public void write(Path path) {
    try {
      Path parent = path.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.write(path, toBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path, e);
    }
  }
}
