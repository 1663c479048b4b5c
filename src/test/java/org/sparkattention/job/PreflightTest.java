package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/** The driver's checks see the Hadoop settings a user gives Spark ({@code spark.hadoop.*}). */
class PreflightTest {
  @Test
  void sparkHadoopSettingsReachTheDriversHadoopConfiguration() {
    Configuration conf =
        Preflight.hadoopConfiguration(
            Map.of(
                "spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:9000",
                "spark.hadoop.dfs.client.use.datanode.hostname", "true",
                "spark.executor.memory", "8g"));
    assertEquals("http://127.0.0.1:9000", conf.get("fs.s3a.endpoint"));
    assertEquals("true", conf.get("dfs.client.use.datanode.hostname"));
    assertNull(conf.get("executor.memory"), "only spark.hadoop.* keys");
    assertNull(conf.get("spark.executor.memory"));
  }
}
