package org.sparkattention.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.sparkattention.model.AttentionWeights;
import org.sparkattention.model.SafetensorsFile;

/**
 * One fixture made by {@code src/test/python/make_golden.py} with the real {@code
 * torch.nn.MultiheadAttention}: options, weights, inputs and PyTorch's outputs and maps.
 */
public record GoldenCase(JsonNode meta, Path weightsFile, SafetensorsFile data) {

  public static final String DIR = "/golden/";

  public static List<GoldenCase> all() {
    try (InputStream in = GoldenCase.class.getResourceAsStream(DIR + "cases.json")) {
      JsonNode root = new ObjectMapper().readTree(in);
      List<GoldenCase> cases = new ArrayList<>();
      for (JsonNode c : root.get("cases")) {
        cases.add(load(c));
      }
      return cases;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static GoldenCase named(String name) {
    return all().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  private static GoldenCase load(JsonNode meta) {
    String name = meta.get("name").asText();
    return new GoldenCase(
        meta,
        resource(name + ".weights.safetensors"),
        SafetensorsFile.read(resource(name + ".data.safetensors").toString()));
  }

  public static Path resource(String file) {
    try {
      return Path.of(GoldenCase.class.getResource(DIR + file).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public String name() {
    return meta.get("name").asText();
  }

  @Override
  public String toString() {
    return name();
  }

  public int heads() {
    return meta.get("heads").asInt();
  }

  public String prefix() {
    return meta.get("prefix").asText();
  }

  public AttentionWeights weights() {
    return AttentionWeights.load(weightsFile.toString(), prefix());
  }

  public AttentionOptions options(int blockSize) {
    JsonNode scale = meta.get("scale");
    return new AttentionOptions(
        heads(),
        meta.get("causal").asBoolean(),
        meta.get("add_zero_attn").asBoolean(),
        scale == null || scale.isNull()
            ? SoftmaxScale.pytorchDefault()
            : SoftmaxScale.of(scale.asDouble()),
        blockSize);
  }

  /** A 2-d F64 tensor as a row-major DenseMatrix. */
  public DenseMatrix matrix(String tensor) {
    long[] shape = data.info(tensor).shape();
    return new DenseMatrix((int) shape[0], (int) shape[1], data.readDoubles(tensor), true);
  }

  public double[] values(String tensor) {
    return data.readDoubles(tensor);
  }

  public boolean[] keyPaddingMask() {
    if (!meta.get("has_key_padding_mask").asBoolean()) {
      return null;
    }
    double[] m = data.readDoubles("key_padding_mask");
    boolean[] mask = new boolean[m.length];
    for (int i = 0; i < m.length; i++) {
      mask[i] = m[i] != 0.0;
    }
    return mask;
  }

  public int fullyMasked() {
    return meta.get("fully_masked").asInt();
  }
}
