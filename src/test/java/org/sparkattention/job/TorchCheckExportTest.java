package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;
import org.sparkattention.model.SafetensorsFile;

/**
 * What jobs/check-torch.sh hands to PyTorch (the Java half; the Python half needs torch, which no
 * test may): the sampled rows' inputs as the input holds them, and what the run wrote for them,
 * found from the run's summary alone.
 */
@SparkTest
class TorchCheckExportTest {
  @TempDir Path dir;

  @Test
  void exportsTheSampledRowsInputsAndWhatTheRunWrote() throws Exception {
    Path out = dir.resolve("out");
    Path maps = dir.resolve("maps");
    JobRunner.succeed(
        JobFeaturesTest.sampleArgs(
            JobFeaturesTest.SAMPLES,
            out.toString(),
            "--maps",
            "heads",
            "--maps.output",
            maps.toString(),
            "--partition.by",
            "date"));
    Path to = dir.resolve("export");
    TorchCheckExport.export(SparkTestSession.get(), out.toString(), 5, to);
    JsonNode meta = new ObjectMapper().readTree(to.resolve("sample.json").toFile());
    assertEquals(5, meta.get("ids").size());
    assertEquals("heads", meta.get("maps").asText());
    assertEquals("4", meta.get("settings").get("heads").asText());
    SafetensorsFile file = SafetensorsFile.read(to.resolve("sample.safetensors").toString());
    Map<Long, Row> input = TestDatasets.byId(SparkTestSession.get(), JobFeaturesTest.SAMPLES);
    Map<Long, Row> written = TestDatasets.byId(SparkTestSession.get(), out.toString());
    for (JsonNode entry : meta.get("ids")) {
      long id = Long.parseLong(entry.get("id").asText());
      String r = entry.get("tensor").asText();
      float[][] x = TestDatasets.floats(input.get(id), "x");
      float[][] output = TestDatasets.floats(written.get(id), "output");
      double[] query = file.readDoubles(r + ".query");
      double[] exported = file.readDoubles(r + ".output");
      assertEquals(x.length * 32, query.length);
      for (int i = 0; i < x.length; i++) {
        for (int j = 0; j < 32; j++) {
          assertEquals(x[i][j], query[i * 32 + j], 0.0, "input of id " + id);
          assertEquals(output[i][j], exported[i * 32 + j], 0.0, "output of id " + id);
        }
      }
      for (int h = 0; h < 4; h++) {
        assertTrue(
            file.readDoubles(r + ".map." + h).length == x.length * x.length, "head map " + h);
      }
    }
  }
}
