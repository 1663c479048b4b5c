package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkattention.kernel.GoldenCase;

/**
 * A PyTorch golden case as a job: its input dataset (the case's sequence twice, ids 7 and 8), its
 * configuration, and the check that what the job wrote is PyTorch's outputs and maps. Shared by the
 * job's golden tests in local mode and on clusters.
 */
final class GoldenJob {
  static final List<Long> IDS = List.of(7L, 8L);

  final String name;
  final GoldenCase golden;

  GoldenJob(String name) {
    this.name = name;
    this.golden = GoldenCase.named(name);
  }

  /** Writes the input dataset as Parquet at {@code path}: id, label, the sequence, its mask. */
  void writeInput(SparkSession spark, String path) {
    boolean cross = !golden.meta().get("self_attention").asBoolean();
    List<TestDatasets.Sequence> seqs =
        IDS.stream()
            .map(
                id ->
                    new TestDatasets.Sequence(
                        id,
                        "label-" + id,
                        golden.matrix("query"),
                        golden.matrix("key"),
                        golden.matrix("value"),
                        golden.keyPaddingMask()))
            .toList();
    TestDatasets.write(spark, seqs, cross, path);
  }

  /** The job's configuration for this case; tiles of 4 so that every sequence spans several. */
  Map<String, String> config(
      String input, String weights, String output, String maps, String mode) {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("input", input);
    conf.put("weights", weights);
    conf.put("weights.prefix", golden.prefix());
    conf.put("heads", String.valueOf(golden.heads()));
    conf.put("causal", golden.meta().get("causal").asText());
    conf.put("add_zero_attn", golden.meta().get("add_zero_attn").asText());
    if (!golden.meta().get("scale").isNull()) {
      conf.put("scale", golden.meta().get("scale").asText());
    }
    conf.put("output", output);
    conf.put("maps", mode);
    conf.put("maps.output", maps);
    conf.put("block.size", "4");
    return conf;
  }

  /** The run's counts: both sequences computed once, their maps from the same pass. */
  void assertSummary(Map<String, Object> summary, String mode) {
    assertEquals(2, ((Number) summary.get("sequences")).intValue());
    assertEquals(2, ((Number) summary.get("rows_written")).intValue());
    assertEquals(
        2L * golden.fullyMasked(), ((Number) summary.get("fully_masked_queries")).longValue());
    assertEquals(
        2 * mapRowsPerSequence(mode),
        ((Number) summary.get("map_rows_written")).intValue(),
        "each sequence computed once, its maps from the same pass");
  }

  /** Outputs at {@code output} and maps at {@code maps} are PyTorch's, carried columns kept. */
  void assertWritten(SparkSession spark, String output, String maps, String mode) {
    Map<Long, Row> out = TestDatasets.byId(spark, output);
    assertEquals(IDS, List.copyOf(out.keySet()));
    for (Row r : out.values()) {
      assertEquals("label-" + r.getAs("id"), r.<String>getAs("label"), "carried column");
      FloatTolerance.assertMatches(
          TestDatasets.floats(r, "output"), golden.values("output"), name + " output");
    }
    List<Row> mapRows = TestDatasets.mapRows(spark, maps, 7L);
    assertEquals(mapRowsPerSequence(mode), mapRows.size());
    if (mode.equals("mean")) {
      assertTrue(mapRows.get(0).isNullAt(mapRows.get(0).fieldIndex("head")), "mean head is null");
      FloatTolerance.assertMatches(
          TestDatasets.floats(mapRows.get(0), "weights"),
          golden.values("maps_mean"),
          name + " mean");
      return;
    }
    double[] heads = golden.values("maps_heads");
    int per = heads.length / golden.heads();
    for (int h = 0; h < golden.heads(); h++) {
      Row r = mapRows.get(h);
      assertEquals(h, (int) r.<Integer>getAs("head"));
      assertEquals("label-7", r.getAs("label"));
      FloatTolerance.assertMatches(
          TestDatasets.floats(r, "weights"),
          Arrays.copyOfRange(heads, h * per, (h + 1) * per),
          name + " head " + h);
    }
  }

  private int mapRowsPerSequence(String mode) {
    return mode.equals("heads") ? golden.heads() : 1;
  }
}
