package org.sparkattention.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.errors.AttentionException;

/** The safetensors reader: every dtype it reads, every corruption it refuses. */
class SafetensorsFileTest {
  private static final String SRC = "test.safetensors";

  @TempDir Path dir;

  private static byte[] image(String json, int dataBytes) {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    return b.array();
  }

  private static AttentionException refused(byte[] bytes) {
    AttentionException e =
        assertThrows(AttentionException.class, () -> SafetensorsFile.parse(SRC, bytes));
    assertEquals(AttentionException.Kind.WEIGHTS, e.kind());
    assertTrue(e.getMessage().contains(SRC), () -> "names the file: " + e.getMessage());
    return e;
  }

  @Test
  void roundTripsF64AndF32() {
    double[] v = {1.5, -2.25, 3.0e-3, 7};
    byte[] f64 = new SafetensorsWriter("F64").put("a", v, 2, 2).toBytes();
    byte[] f32 = new SafetensorsWriter("F32").put("a", v, 4).toBytes();
    assertArrayEquals(v, SafetensorsFile.parse(SRC, f64).readDoubles("a"));
    double[] got = SafetensorsFile.parse(SRC, f32).readDoubles("a");
    for (int i = 0; i < v.length; i++) {
      assertEquals((float) v[i], got[i], 0.0);
    }
    assertEquals("(2, 2)", SafetensorsFile.parse(SRC, f64).info("a").shapeString());
  }

  @Test
  void readsF16AndBF16() {
    // 1.0, -2.0, 65504 (max half), 2^-24 (smallest subnormal), 0.333 in half = 0x3555
    short[] half = {0x3c00, (short) 0xc000, 0x7bff, 0x0001, 0x3555};
    double[] expected = {1.0, -2.0, 65504.0, 0x1p-24, 0.333251953125};
    // bf16: the top 16 bits of float 1.0f, -3.5f
    short[] bf = {0x3f80, (short) 0xc060};
    String json =
        "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[10,14]}}";
    byte[] img = image(json, 14);
    ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
    int base = img.length - 14;
    for (int i = 0; i < half.length; i++) {
      b.putShort(base + 2 * i, half[i]);
    }
    b.putShort(base + 10, bf[0]).putShort(base + 12, bf[1]);
    SafetensorsFile f = SafetensorsFile.parse(SRC, img);
    assertArrayEquals(expected, f.readDoubles("h"));
    assertArrayEquals(new double[] {1.0, -3.5}, f.readDoubles("b"));
  }

  @Test
  void ignoresMetadataAndOtherDtypes() {
    String json =
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"steps\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}";
    SafetensorsFile f = SafetensorsFile.parse(SRC, image(json, 8));
    assertEquals(1, f.tensors().size());
    AttentionException e = assertThrows(AttentionException.class, () -> f.readDoubles("steps"));
    assertTrue(e.getMessage().contains("'steps'") && e.getMessage().contains("I64"));
  }

  @Test
  void refusesFileShorterThanHeaderLength() {
    refused(new byte[5]);
  }

  @Test
  void refusesHeaderLengthBeyondFile() {
    byte[] img = image("{}", 0);
    ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
    assertTrue(refused(img).getMessage().contains("header length"));
  }

  @Test
  void refusesZeroOrNegativeHeaderLength() {
    byte[] img = image("{}", 0);
    ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -5);
    refused(img);
  }

  @Test
  void refusesHeaderThatIsNotJson() {
    assertTrue(refused(image("{not json", 0)).getMessage().contains("JSON"));
  }

  @Test
  void refusesHeaderThatIsNotAnObject() {
    refused(image("[1,2]", 0));
  }

  @Test
  void refusesEntryWithoutDtype() {
    String m = refused(image("{\"w\":{\"shape\":[1],\"data_offsets\":[0,8]}}", 8)).getMessage();
    assertTrue(m.contains("'w'") && m.contains("dtype"), m);
  }

  @Test
  void refusesEntryWithoutShape() {
    refused(image("{\"w\":{\"dtype\":\"F64\",\"data_offsets\":[0,8]}}", 8));
  }

  @Test
  void refusesNegativeShape() {
    refused(image("{\"w\":{\"dtype\":\"F64\",\"shape\":[-1],\"data_offsets\":[0,8]}}", 8));
  }

  @Test
  void refusesBadOffsets() {
    refused(image("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0]}}", 8));
  }

  @Test
  void refusesOffsetsPastTheData() {
    String m =
        refused(image("{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8))
            .getMessage();
    assertTrue(m.contains("'w'") && m.contains("truncated"), m);
  }

  @Test
  void refusesSizeThatDoesNotMatchShape() {
    String m =
        refused(image("{\"w\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16))
            .getMessage();
    assertTrue(m.contains("needs 24 bytes"), m);
  }

  @Test
  void refusesOverlappingTensors() {
    String json =
        "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
            + "\"b\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[8,24]}}";
    assertTrue(refused(image(json, 24)).getMessage().contains("overlap"));
  }

  @Test
  void refusesTruncatedRealFile() throws Exception {
    byte[] whole = new SafetensorsWriter("F64").put("w", new double[64], 8, 8).toBytes();
    Path p = dir.resolve("cut.safetensors");
    Files.write(p, Arrays.copyOf(whole, whole.length - 100));
    AttentionException e =
        assertThrows(AttentionException.class, () -> SafetensorsFile.read(p.toString()));
    assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("truncated"));
  }

  @Test
  void refusesMissingFileNamingIt() {
    String missing = dir.resolve("nope.safetensors").toString();
    AttentionException e =
        assertThrows(AttentionException.class, () -> SafetensorsFile.read(missing));
    assertTrue(e.getMessage().contains(missing) && e.getMessage().contains("does not exist"));
  }

  @Test
  void readsThroughHadoopFileUri() {
    Path p = dir.resolve("w.safetensors");
    new SafetensorsWriter("F64").put("w", new double[] {4, 5}, 2).write(p);
    assertArrayEquals(
        new double[] {4, 5}, SafetensorsFile.read(p.toUri().toString()).readDoubles("w"));
  }

  @Test
  void missingTensorIsNamed() {
    SafetensorsFile f =
        SafetensorsFile.parse(
            SRC, new SafetensorsWriter("F64").put("a", new double[1], 1).toBytes());
    AttentionException e = assertThrows(AttentionException.class, () -> f.readDoubles("zzz"));
    assertTrue(e.getMessage().contains("'zzz'") && e.getMessage().contains(SRC));
  }
}
