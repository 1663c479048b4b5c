package org.sparkattention.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.functions;
import org.sparkattention.config.ConfigKey;
import org.sparkattention.config.ConfigKeys;
import org.sparkattention.config.JobConfig;
import org.sparkattention.config.MapsSetting;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;
import org.sparkattention.io.InputLayout;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.SequenceCodec;
import org.sparkattention.io.spark.SparkInternals;
import org.sparkattention.model.AttentionWeights;
import org.sparkattention.model.SafetensorsWriter;

/**
 * The Java half of {@code jobs/check-torch.sh}: from a finished run's summary (its provenance: the
 * input, the weights, every setting), a sample of its rows, their inputs as the job decoded them
 * and what the run wrote for them (outputs, and maps of kind heads, mean or summary), as one
 * safetensors file and a JSON description, for {@code jobs/check_torch.py} to recompute with
 * PyTorch.
 */
public final class TorchCheckExport {
  private static final String ID_TEXT = "__spark_attention_id_text";

  private TorchCheckExport() {}

  /** {@code OUTPUT_DIR SAMPLE_ROWS TO_DIR}. */
  public static void main(String[] args) {
    SparkSession spark = null;
    try {
      spark = SparkSession.builder().appName("spark-attention-check-torch").getOrCreate();
      export(spark, args[0], Integer.parseInt(args[1]), Path.of(args[2]));
    } catch (AttentionException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(e.kind().exitCode());
    } finally {
      if (spark != null) {
        spark.stop();
      }
    }
  }

  static void export(SparkSession spark, String output, int sample, Path to) {
    JsonNode provenance = provenance(output);
    // The run's settings as a command line, its defaults left to be defaults again.
    List<String> args = new ArrayList<>();
    for (ConfigKey<?> key : ConfigKeys.ALL) {
      JsonNode value = provenance.get("settings").get(key.name());
      if (value != null
          && !value.asText().equals(key.defaultValue())
          && key != ConfigKeys.INPUT
          && key != ConfigKeys.WEIGHTS) {
        args.add("--" + key.name());
        args.add(value.asText());
      }
    }
    // The qualified paths the run resolved: relative ones were the run's directory's.
    for (String key : List.of(ConfigKeys.INPUT.name(), ConfigKeys.WEIGHTS.name())) {
      args.add("--" + key);
      args.add(provenance.get(key).asText());
    }
    JobConfig config = JobConfig.load(args.toArray(new String[0]), Map.of());
    AttentionWeights w =
        AttentionWeights.load(
            config.get(ConfigKeys.WEIGHTS), config.get(ConfigKeys.WEIGHTS_PREFIX));
    String idColumn = config.get(ConfigKeys.COLUMN_ID);
    Dataset<Row> df =
        spark
            .read()
            .format(config.get(ConfigKeys.INPUT_FORMAT).configName())
            .option("mergeSchema", "true")
            .load(config.input());
    // A sample that does not depend on the files' order: the rows of the smallest id hashes.
    Dataset<Row> sampled =
        df.withColumn(ID_TEXT, functions.col(idColumn).cast("string"))
            .orderBy(functions.hash(functions.col(idColumn)), functions.col(ID_TEXT))
            .limit(sample);
    InputLayout layout = AttentionRun.inputLayout(sampled.schema(), config, w);
    SequenceCodec codec = new SequenceCodec(layout);
    int idText = sampled.schema().fieldIndex(ID_TEXT);
    List<InternalRow> rows = SparkInternals.internalRows(sampled).map(InternalRow::copy).collect();

    SafetensorsWriter tensors = new SafetensorsWriter("F64");
    ObjectMapper json = new ObjectMapper();
    ObjectNode meta = json.createObjectNode();
    meta.set("settings", provenance.get("settings"));
    meta.put("weights", "weights.safetensors"); // copied beside the sample, from any file system
    meta.put("embed_dim", w.embedDim());
    meta.put("kdim", w.kdim());
    meta.put("vdim", w.vdim());
    ArrayNode ids = meta.putArray("ids");
    List<String> idTexts = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      InternalRow row = rows.get(i);
      if (codec.badRowReason(row) != null) {
        continue; // not written: nothing to compare
      }
      String id = row.getUTF8String(idText).toString();
      idTexts.add(id);
      ObjectNode entry = ids.addObject();
      entry.put("id", id);
      entry.put("tensor", "r" + i);
      DenseMatrix q = codec.query(row);
      put(tensors, "r" + i + ".query", q);
      put(tensors, "r" + i + ".key", codec.key(row, q));
      put(tensors, "r" + i + ".value", codec.value(row, q));
      boolean[] mask = codec.keyPaddingMask(row);
      if (mask != null) {
        double[] m = new double[mask.length];
        for (int j = 0; j < m.length; j++) {
          m[j] = mask[j] ? 1 : 0;
        }
        tensors.put("r" + i + ".mask", m, m.length);
      }
    }
    Map<String, String> tensorOf = new HashMap<>();
    ids.forEach(n -> tensorOf.put(n.get("id").asText(), n.get("tensor").asText()));
    written(spark, output, idColumn, idTexts)
        .forEach(
            r ->
                put(
                    tensors,
                    tensorOf.get(text(r, idColumn)) + ".output",
                    OutputRows.readFloatMatrix(r, OutputRows.OUTPUT)));
    MapsSetting maps = config.maps();
    meta.put("maps", maps.configName());
    if (maps != MapsSetting.NONE && maps != MapsSetting.TOPK) {
      for (Row r : written(spark, config.mapsOutput(), idColumn, idTexts)) {
        String base = tensorOf.get(text(r, idColumn));
        String head =
            r.isNullAt(r.fieldIndex("head")) ? "mean" : String.valueOf(r.<Integer>getAs("head"));
        if (maps == MapsSetting.SUMMARY) {
          for (String column :
              List.of("entropy", "max_weight", "first_key_weight", "mean_distance")) {
            List<Float> v = r.getList(r.fieldIndex(column));
            double[] values = v.stream().mapToDouble(Float::doubleValue).toArray();
            tensors.put(base + ".summary." + head + "." + column, values, values.length);
          }
        } else {
          put(tensors, base + ".map." + head, OutputRows.readFloatMatrix(r, OutputRows.WEIGHTS));
        }
      }
    }
    try {
      Files.createDirectories(to);
      tensors.write(to.resolve("sample.safetensors"));
      org.apache.hadoop.fs.Path weights =
          new org.apache.hadoop.fs.Path(config.get(ConfigKeys.WEIGHTS));
      weights
          .getFileSystem(spark.sparkContext().hadoopConfiguration())
          .copyToLocalFile(
              weights, new org.apache.hadoop.fs.Path(to.resolve("weights.safetensors").toUri()));
      json.writerWithDefaultPrettyPrinter().writeValue(to.resolve("sample.json").toFile(), meta);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.out.println("exported " + idTexts.size() + " rows of " + output + " to " + to);
  }

  private static JsonNode provenance(String output) {
    Path summary = Path.of(output, AttentionJob.SUMMARY_FILE);
    try {
      JsonNode node = new ObjectMapper().readTree(summary.toFile()).get("provenance");
      if (node == null) {
        throw UserErrors.checkWithoutProvenance(summary.toString());
      }
      return node;
    } catch (IOException e) {
      throw UserErrors.checkWithoutProvenance(summary.toString());
    }
  }

  private static List<Row> written(
      SparkSession spark, String path, String idColumn, List<String> ids) {
    return spark
        .read()
        .parquet(path)
        .filter(functions.col(idColumn).cast("string").isin(ids.toArray()))
        .collectAsList();
  }

  private static String text(Row r, String idColumn) {
    return String.valueOf(r.get(r.fieldIndex(idColumn)));
  }

  /** A written float matrix ({@link OutputRows#readFloatMatrix}) as a row-major tensor. */
  private static void put(SafetensorsWriter tensors, String name, float[][] m) {
    int cols = m.length == 0 ? 0 : m[0].length;
    double[] v = new double[m.length * cols];
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < cols; j++) {
        v[i * cols + j] = m[i][j];
      }
    }
    tensors.put(name, v, m.length, cols);
  }

  private static void put(SafetensorsWriter tensors, String name, DenseMatrix m) {
    double[] v = new double[m.numRows() * m.numCols()];
    for (int i = 0; i < m.numRows(); i++) {
      for (int j = 0; j < m.numCols(); j++) {
        v[i * m.numCols() + j] = m.apply(i, j);
      }
    }
    tensors.put(name, v, m.numRows(), m.numCols());
  }
}
