package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkattention.SparkTest;
import org.sparkattention.kernel.BlockedAttentionKernel;
import org.sparkattention.kernel.QueryStatistics;

/**
 * maps=summary and maps=topk through the whole job on the PyTorch golden cases: every written
 * statistic and top key against the same quantity computed from PyTorch's per-head maps ({@code
 * need_weights=True, average_attn_weights=False}), within float32 rounding; the log-sum-exp against
 * the kernel's (which QueryStatisticsTest checks by recomputing map rows from it); maps.heads picks
 * the heads written.
 */
@SparkTest
class JobMapStatisticsTest {
  @TempDir Path dir;

  /** A written float against a float64 expectation: float32 rounding, plus the kernel's 1e-12. */
  static void assertFloat(double expected, float written, String what) {
    double tolerance = Math.ulp((float) expected) + 1e-12;
    assertEquals(expected, written, tolerance, what);
  }

  @ParameterizedTest(name = "{0} maps.heads={1}")
  @CsvSource({"bias_kv_zero_attn_padding, '1'", "causal_fully_masked, ''"})
  void summaryAndTopKeysArePyTorchs(String name, String heads) {
    SparkSession spark = SparkTestSession.get();
    GoldenJob job = new GoldenJob(name);
    String input = dir.resolve("input").toString();
    job.writeInput(spark, input);
    int numHeads = job.golden.heads();
    List<Integer> written = new ArrayList<>();
    for (int h = 0; h < numHeads; h++) {
      if (heads.isEmpty() || List.of(heads.split(",")).contains(String.valueOf(h))) {
        written.add(h);
      }
    }
    int width = job.golden.meta().get("map_width").asInt();
    double[] maps = job.golden.values("maps_heads");
    int queryLen = maps.length / numHeads / width;
    QueryStatistics kernel = kernelStatistics(job);

    for (String mode : List.of("summary", "topk")) {
      String out = dir.resolve(mode + "-out").toString();
      String mapsOut = dir.resolve(mode + "-maps").toString();
      Map<String, String> conf =
          job.config(input, job.golden.weightsFile().toString(), out, mapsOut, mode);
      if (!heads.isEmpty()) {
        conf.put("maps.heads", heads);
      }
      if (mode.equals("topk")) {
        conf.put("maps.topk", "3");
      }
      Map<String, Object> summary = JobRunner.succeed(JobRunner.args(conf));
      List<Row> rows = spark.read().parquet(mapsOut).filter("id = 7").collectAsList();
      if (mode.equals("summary")) {
        assertEquals(written.size(), rows.size(), "one row per written head");
        for (Row r : rows) {
          int h = r.<Integer>getAs("head");
          assertTrue(written.contains(h), "head " + h + " is one of maps.heads");
          assertSummaryRow(r, h, maps, queryLen, width, kernel, name);
        }
      } else {
        int expectedRows = 0;
        for (int h : written) {
          for (int q = 0; q < queryLen; q++) {
            expectedRows += Math.min(3, visible(maps, (h * queryLen + q) * width, width));
          }
        }
        assertEquals(expectedRows, rows.size(), "min(K, visible keys) rows per query");
        assertEquals(
            2L * expectedRows, ((Number) summary.get("map_rows_written")).longValue(), "counted");
        for (Row r : rows) {
          int h = r.<Integer>getAs("head");
          int q = r.<Integer>getAs("query");
          int rank = r.<Integer>getAs("rank");
          int key = r.<Integer>getAs("key");
          int at = (h * queryLen + q) * width;
          String what = name + " head " + h + " query " + q + " rank " + rank;
          assertTrue(written.contains(h), what);
          assertFloat(maps[at + key], r.<Float>getAs("weight"), what + " weight");
          int heavier = 0;
          for (int j = 0; j < width; j++) {
            heavier += maps[at + j] > maps[at + key] + 1e-12 ? 1 : 0;
          }
          assertTrue(heavier <= rank, what + ": " + heavier + " keys weigh more");
        }
      }
    }
  }

  @Test
  void headsOutsideTheLayerAndCollidingColumnsAreRefused() throws Exception {
    Path out = dir.resolve("out");
    JobRunner.assertRefused(
        JobRunner.main(
            JobFeaturesTest.sampleArgs(
                JobFeaturesTest.SAMPLES,
                out.toString(),
                "--maps",
                "summary",
                "--maps.output",
                dir.resolve("maps").toString(),
                "--maps.heads",
                "1,4")),
        2,
        "maps.heads = 1,4",
        "0 to 3");
    // A carried column named like a column the top-k rows add.
    Path input = dir.resolve("ranked");
    SparkTestSession.get()
        .read()
        .parquet(JobFeaturesTest.SAMPLES)
        .withColumn("Rank", functions.lit(1))
        .write()
        .parquet(input.toString());
    JobRunner.assertRefused(
        JobRunner.main(
            JobFeaturesTest.sampleArgs(
                input.toString(),
                out.toString(),
                "--maps",
                "topk",
                "--maps.output",
                dir.resolve("maps").toString())),
        4,
        "input column 'Rank'");
  }

  private static void assertSummaryRow(
      Row r, int h, double[] maps, int queryLen, int width, QueryStatistics kernel, String name) {
    List<Float> entropy = r.getList(r.fieldIndex("entropy"));
    List<Float> maxWeight = r.getList(r.fieldIndex("max_weight"));
    List<Integer> argmax = r.getList(r.fieldIndex("argmax_key"));
    List<Float> first = r.getList(r.fieldIndex("first_key_weight"));
    List<Float> distance = r.getList(r.fieldIndex("mean_distance"));
    List<Float> lse = r.getList(r.fieldIndex("lse"));
    assertEquals(queryLen, entropy.size());
    for (int q = 0; q < queryLen; q++) {
      int at = (h * queryLen + q) * width;
      String what = name + " head " + h + " query " + q;
      double sum = 0;
      double ent = 0;
      double dist = 0;
      double max = 0;
      for (int j = 0; j < width; j++) {
        double p = Double.isNaN(maps[at + j]) ? 0 : maps[at + j];
        sum += p;
        if (p > 0) {
          ent -= p * Math.log(p);
          dist += p * Math.abs(q - j);
        }
        max = Math.max(max, p);
      }
      if (sum == 0) { // sees no key
        assertEquals(0f, entropy.get(q), what);
        assertEquals(0f, maxWeight.get(q), what);
        assertEquals(null, argmax.get(q), what + " argmax null");
        assertEquals(null, lse.get(q), what + " lse null");
        continue;
      }
      assertFloat(ent, entropy.get(q), what + " entropy");
      assertFloat(max, maxWeight.get(q), what + " max weight");
      assertFloat(max, (float) maps[at + argmax.get(q)], what + " argmax key");
      assertFloat(maps[at], first.get(q), what + " key 0");
      assertFloat(dist, distance.get(q), what + " mean distance");
      assertFloat(kernel.lse(h, q), lse.get(q), what + " lse");
    }
  }

  private static int visible(double[] maps, int at, int width) {
    int n = 0;
    for (int j = 0; j < width; j++) {
      n += maps[at + j] > 0 ? 1 : 0;
    }
    return n;
  }

  /** The kernel's statistics of the case (block size 4, as the job runs it). */
  private static QueryStatistics kernelStatistics(GoldenJob job) {
    BlockedAttentionKernel kernel =
        new BlockedAttentionKernel(job.golden.weights(), job.golden.options(4));
    QueryStatistics stats = new QueryStatistics(0);
    kernel.forward(
        kernel.newWorkspace(),
        job.golden.matrix("query"),
        job.golden.matrix("key"),
        job.golden.matrix("value"),
        job.golden.keyPaddingMask(),
        null,
        stats);
    return stats;
  }
}
