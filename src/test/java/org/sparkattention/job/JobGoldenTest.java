package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkattention.SparkTest;
import org.sparkattention.kernel.GoldenCase;

/** The whole job in local[2] on the PyTorch golden fixtures: outputs and maps match PyTorch. */
@SparkTest
class JobGoldenTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0} maps={1}")
  @CsvSource({
    "self_basic, heads",
    "self_larger, mean",
    "cross_kdim_vdim, heads",
    "causal_fully_masked, heads",
    "causal_cross_short_keys, mean",
    "bias_kv_zero_attn_padding, heads",
    "custom_scale, mean",
    "prefix_f32, heads",
    "no_bias, mean",
  })
  void jobMatchesPyTorch(String name, String maps) {
    SparkSession spark = SparkTestSession.get();
    GoldenCase c = GoldenCase.named(name);
    boolean cross = !c.meta().get("self_attention").asBoolean();
    List<TestDatasets.Sequence> seqs =
        List.of(7L, 8L).stream()
            .map(
                id ->
                    new TestDatasets.Sequence(
                        id,
                        "label-" + id,
                        c.matrix("query"),
                        c.matrix("key"),
                        c.matrix("value"),
                        c.keyPaddingMask()))
            .toList();
    String input = dir.resolve("input").toString();
    TestDatasets.write(spark, seqs, cross, input);

    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("input", input);
    conf.put("weights", c.weightsFile().toString());
    conf.put("weights.prefix", c.prefix());
    conf.put("heads", String.valueOf(c.heads()));
    conf.put("causal", c.meta().get("causal").asText());
    conf.put("add_zero_attn", c.meta().get("add_zero_attn").asText());
    if (!c.meta().get("scale").isNull()) {
      conf.put("scale", c.meta().get("scale").asText());
    }
    conf.put("output", dir.resolve("out").toString());
    conf.put("maps", maps);
    conf.put("maps.output", dir.resolve("maps").toString());
    conf.put("block.size", "4");
    Map<String, Object> summary = JobRunner.succeed(JobRunner.args(conf));

    assertEquals(2, ((Number) summary.get("sequences")).intValue());
    assertEquals(2, ((Number) summary.get("rows_written")).intValue());
    assertEquals(2L * c.fullyMasked(), ((Number) summary.get("fully_masked_queries")).longValue());
    int mapRowsPerSequence = maps.equals("heads") ? c.heads() : 1;
    assertEquals(
        2 * mapRowsPerSequence,
        ((Number) summary.get("map_rows_written")).intValue(),
        "each sequence computed once, its maps from the same pass");

    Map<Long, Row> out = TestDatasets.byId(spark, dir.resolve("out").toString());
    assertEquals(List.of(7L, 8L), List.copyOf(out.keySet()));
    for (Row r : out.values()) {
      assertEquals("label-" + r.getAs("id"), r.<String>getAs("label"), "carried column");
      FloatTolerance.assertMatches(
          TestDatasets.floats(r, "output"), c.values("output"), name + " output");
    }
    List<Row> mapRows = TestDatasets.mapRows(spark, dir.resolve("maps").toString(), 7L);
    assertEquals(mapRowsPerSequence, mapRows.size());
    if (maps.equals("mean")) {
      assertTrue(mapRows.get(0).isNullAt(mapRows.get(0).fieldIndex("head")), "mean head is null");
      FloatTolerance.assertMatches(
          TestDatasets.floats(mapRows.get(0), "weights"), c.values("maps_mean"), name + " mean");
    } else {
      double[] heads = c.values("maps_heads");
      int per = heads.length / c.heads();
      for (int h = 0; h < c.heads(); h++) {
        Row r = mapRows.get(h);
        assertEquals(h, (int) r.<Integer>getAs("head"));
        assertEquals("label-7", r.getAs("label"));
        FloatTolerance.assertMatches(
            TestDatasets.floats(r, "weights"),
            Arrays.copyOfRange(heads, h * per, (h + 1) * per),
            name + " head " + h);
      }
    }
  }
}
