package org.sparkattention.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.junit.jupiter.api.Test;
import org.sparkattention.errors.AttentionException;

/** Mapping a state_dict to weights: what is read off the tensors, and every refusal. */
class AttentionWeightsTest {
  private static final int E = 4;

  /** A valid packed layer's tensors (name -> shape), values 0, 1, 2, ... per tensor. */
  private static Map<String, long[]> packed() {
    Map<String, long[]> t = new LinkedHashMap<>();
    t.put("in_proj_weight", new long[] {3 * E, E});
    t.put("in_proj_bias", new long[] {3 * E});
    t.put("out_proj.weight", new long[] {E, E});
    t.put("out_proj.bias", new long[] {E});
    return t;
  }

  private static SafetensorsFile file(Map<String, long[]> tensors, String prefix) {
    SafetensorsWriter w = new SafetensorsWriter("F64");
    for (Map.Entry<String, long[]> e : tensors.entrySet()) {
      long n = 1;
      for (long d : e.getValue()) {
        n *= d;
      }
      double[] v = new double[(int) n];
      for (int i = 0; i < v.length; i++) {
        v[i] = i;
      }
      w.put(prefix + e.getKey(), v, e.getValue());
    }
    return SafetensorsFile.parse("layer.safetensors", w.toBytes());
  }

  private static void refused(Map<String, long[]> tensors, String... mustContain) {
    AttentionException e =
        assertThrows(
            AttentionException.class, () -> AttentionWeights.fromStateDict(file(tensors, ""), ""));
    assertEquals(AttentionException.Kind.WEIGHTS, e.kind());
    for (String s : mustContain) {
      assertTrue(e.getMessage().contains(s), () -> "'" + s + "' in: " + e.getMessage());
    }
  }

  @Test
  void packedInProjectionIsSplitRowWise() {
    AttentionWeights w = AttentionWeights.fromStateDict(file(packed(), ""), "");
    assertEquals(E, w.embedDim());
    assertEquals(E, w.kdim());
    assertTrue(w.hasBias());
    assertFalse(w.hasBiasKv());
    // in_proj_weight is row-major (3E, E) with values 0..: row r of W_k is packed row E + r.
    DenseMatrix wk = w.kWeight();
    assertEquals((E + 1) * E + 2, wk.apply(1, 2), 0.0);
    assertArrayEquals(new double[] {8, 9, 10, 11}, w.vBias());
  }

  @Test
  void separateProjectionsGiveKdimAndVdim() {
    Map<String, long[]> t = new LinkedHashMap<>();
    t.put("q_proj_weight", new long[] {E, E});
    t.put("k_proj_weight", new long[] {E, 3});
    t.put("v_proj_weight", new long[] {E, 5});
    t.put("out_proj.weight", new long[] {E, E});
    t.put("bias_k", new long[] {1, 1, E});
    t.put("bias_v", new long[] {1, 1, E});
    AttentionWeights w = AttentionWeights.fromStateDict(file(t, ""), "");
    assertEquals(3, w.kdim());
    assertEquals(5, w.vdim());
    assertFalse(w.hasBias());
    assertTrue(w.hasBiasKv());
    assertEquals(1 * 5 + 1, w.vWeight().apply(1, 1), 0.0);
  }

  @Test
  void prefixSelectsOneLayerWithOrWithoutTrailingDot() {
    Map<String, long[]> t = packed();
    SafetensorsFile f = file(t, "model.layers.3.attn.");
    assertEquals(E, AttentionWeights.fromStateDict(f, "model.layers.3.attn").embedDim());
    assertEquals(E, AttentionWeights.fromStateDict(f, "model.layers.3.attn.").embedDim());
  }

  @Test
  void wrongPrefixNamesTheTensorAndSuggestsWhatExists() {
    SafetensorsFile f = file(packed(), "model.attn.");
    AttentionException e =
        assertThrows(AttentionException.class, () -> AttentionWeights.fromStateDict(f, "other"));
    assertTrue(e.getMessage().contains("'other.out_proj.weight'"), e.getMessage());
    assertTrue(e.getMessage().contains("model.attn.out_proj.weight"), e.getMessage());
  }

  @Test
  void missingOutProjWeight() {
    Map<String, long[]> t = packed();
    t.remove("out_proj.weight");
    refused(t, "'out_proj.weight'", "layer.safetensors");
  }

  @Test
  void missingInProjection() {
    Map<String, long[]> t = packed();
    t.remove("in_proj_weight");
    refused(t, "'in_proj_weight'", "q_proj_weight");
  }

  @Test
  void missingKProjWeight() {
    Map<String, long[]> t = new LinkedHashMap<>();
    t.put("q_proj_weight", new long[] {E, E});
    t.put("v_proj_weight", new long[] {E, E});
    t.put("out_proj.weight", new long[] {E, E});
    refused(t, "'k_proj_weight'");
  }

  @Test
  void inProjWeightWrongShape() {
    Map<String, long[]> t = packed();
    t.put("in_proj_weight", new long[] {3 * E, E + 1});
    refused(t, "'in_proj_weight'", "(12, 5)", "(12, 4)");
  }

  @Test
  void outProjWeightNotSquare() {
    Map<String, long[]> t = packed();
    t.put("out_proj.weight", new long[] {E, E + 2});
    refused(t, "'out_proj.weight'", "(4, 6)");
  }

  @Test
  void qProjWeightWrongShape() {
    Map<String, long[]> t = new LinkedHashMap<>();
    t.put("q_proj_weight", new long[] {E, E + 1});
    t.put("k_proj_weight", new long[] {E, E});
    t.put("v_proj_weight", new long[] {E, E});
    t.put("out_proj.weight", new long[] {E, E});
    refused(t, "'q_proj_weight'", "(4, 5)");
  }

  @Test
  void vProjWeightWrongRows() {
    Map<String, long[]> t = new LinkedHashMap<>();
    t.put("q_proj_weight", new long[] {E, E});
    t.put("k_proj_weight", new long[] {E, E});
    t.put("v_proj_weight", new long[] {E + 1, E});
    t.put("out_proj.weight", new long[] {E, E});
    refused(t, "'v_proj_weight'", "(5, 4)");
  }

  @Test
  void inProjBiasWrongLength() {
    Map<String, long[]> t = packed();
    t.put("in_proj_bias", new long[] {E});
    refused(t, "'in_proj_bias'", "(4,)", "(12,)");
  }

  @Test
  void outProjBiasWithoutInProjBias() {
    Map<String, long[]> t = packed();
    t.remove("in_proj_bias");
    refused(t, "'in_proj_bias'", "companion");
  }

  @Test
  void inProjBiasWithoutOutProjBias() {
    Map<String, long[]> t = packed();
    t.remove("out_proj.bias");
    refused(t, "'out_proj.bias'");
  }

  @Test
  void outProjBiasWrongLength() {
    Map<String, long[]> t = packed();
    t.put("out_proj.bias", new long[] {E + 1});
    refused(t, "'out_proj.bias'", "(5,)");
  }

  @Test
  void biasKWithoutBiasV() {
    Map<String, long[]> t = packed();
    t.put("bias_k", new long[] {1, 1, E});
    refused(t, "'bias_v'");
  }

  @Test
  void biasKWrongShape() {
    Map<String, long[]> t = packed();
    t.put("bias_k", new long[] {1, E});
    t.put("bias_v", new long[] {1, 1, E});
    refused(t, "'bias_k'", "(1, 1, 4)");
  }

  @Test
  void nonFloatTensorIsRefusedByName() {
    String json =
        "{\"in_proj_weight\":{\"dtype\":\"I32\",\"shape\":[3,1],\"data_offsets\":[0,12]},"
            + "\"out_proj.weight\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[12,20]}}";
    byte[] h = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(8 + h.length + 20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    SafetensorsFile f = SafetensorsFile.parse("int.safetensors", b.array());
    AttentionException e =
        assertThrows(AttentionException.class, () -> AttentionWeights.fromStateDict(f, ""));
    assertTrue(e.getMessage().contains("'in_proj_weight'") && e.getMessage().contains("I32"));
  }

  @Test
  void accessorsReturnCopies() {
    AttentionWeights w = AttentionWeights.fromStateDict(file(packed(), ""), "");
    w.qWeight().values()[0] = 99;
    w.outBias()[0] = 99;
    assertEquals(0.0, w.qWeight().values()[0], 0.0);
    assertEquals(0.0, w.outBias()[0], 0.0);
  }
}
