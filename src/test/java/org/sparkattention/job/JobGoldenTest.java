package org.sparkattention.job;

import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkattention.SparkTest;

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
    GoldenJob job = new GoldenJob(name);
    String input = dir.resolve("input").toString();
    job.writeInput(spark, input);
    String out = dir.resolve("out").toString();
    String mapsOut = dir.resolve("maps").toString();
    Map<String, Object> summary =
        JobRunner.succeed(
            JobRunner.args(
                job.config(input, job.golden.weightsFile().toString(), out, mapsOut, maps)));
    job.assertSummary(summary, maps);
    job.assertWritten(spark, out, mapsOut, maps);
  }
}
