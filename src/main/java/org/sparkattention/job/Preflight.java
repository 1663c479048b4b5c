package org.sparkattention.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.types.StructType;
import org.sparkattention.commit.DatasetPaths;
import org.sparkattention.commit.DatasetPaths.Role;
import org.sparkattention.commit.StagedDataset;
import org.sparkattention.config.BadRowsPolicy;
import org.sparkattention.config.ConfigKey;
import org.sparkattention.config.ConfigKeys;
import org.sparkattention.config.JobConfig;
import org.sparkattention.config.MapsSetting;
import org.sparkattention.config.WriteMode;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;
import org.sparkattention.kernel.AttentionOptions;
import org.sparkattention.kernel.SoftmaxScale;
import org.sparkattention.model.AttentionWeights;
import org.sparkattention.model.SafetensorsFile;

/**
 * The checks before any Spark stage: every path (with the Hadoop configuration Spark uses), the
 * datasets' overlap, the weights against the options, the output paths claimed for the run; and,
 * once the input's schema is known, the configured columns.
 */
final class Preflight {
  private final JobConfig config;

  Preflight(JobConfig config) {
    this.config = config;
  }

  /**
   * What is checked before any Spark stage: the input and weights as qualified paths, the weights
   * (and their file's SHA-256), kernel options, whether the input path is a glob pattern, output
   * paths.
   */
  public record Prepared(
      String inputPath,
      String weightsPath,
      AttentionWeights weights,
      String weightsSha256,
      AttentionOptions options,
      boolean inputIsPattern,
      StagedDataset output,
      StagedDataset maps,
      StagedDataset badRows) {
    /** The datasets this run writes, output first. */
    List<StagedDataset> datasets() {
      List<StagedDataset> all = new ArrayList<>();
      for (StagedDataset d : new StagedDataset[] {output, maps, badRows}) {
        if (d != null) {
          all.add(d);
        }
      }
      return all;
    }
  }

  /**
   * Checks every path (qualified, connectors present, datasets disjoint), loads and checks the
   * weights against the options, and claims the output paths for {@code guard}'s run.
   *
   * @param dryRun check the output paths without claiming them: nothing is written
   * @throws AttentionException naming the key, tensor or path
   */
  Prepared prepare(Configuration hadoopConf, RunGuard guard, boolean dryRun) {
    List<DatasetPaths.Named> paths = new ArrayList<>();
    DatasetPaths.Named input =
        named(ConfigKeys.INPUT.name(), config.input(), hadoopConf, Role.INPUT);
    DatasetPaths.Named weightsPath =
        named(ConfigKeys.WEIGHTS.name(), config.get(ConfigKeys.WEIGHTS), hadoopConf, Role.INPUT);
    paths.add(input);
    paths.add(weightsPath);
    DatasetPaths.Named output =
        named(ConfigKeys.OUTPUT.name(), config.output(), hadoopConf, Role.OUTPUT);
    paths.add(output);
    DatasetPaths.Named maps =
        config.maps() == MapsSetting.NONE
            ? null
            : named(ConfigKeys.MAPS_OUTPUT.name(), config.mapsOutput(), hadoopConf, Role.OUTPUT);
    DatasetPaths.Named bad =
        config.badRows() == BadRowsPolicy.QUARANTINE
            ? named(
                ConfigKeys.BAD_ROWS_OUTPUT.name(),
                config.get(ConfigKeys.BAD_ROWS_OUTPUT),
                hadoopConf,
                Role.OUTPUT)
            : null;
    for (DatasetPaths.Named n : new DatasetPaths.Named[] {maps, bad}) {
      if (n != null) {
        paths.add(n);
      }
    }
    DatasetPaths.requireDisjoint(paths);
    SafetensorsFile weightsFile = SafetensorsFile.read(config.get(ConfigKeys.WEIGHTS));
    AttentionWeights weights =
        AttentionWeights.fromStateDict(weightsFile, config.get(ConfigKeys.WEIGHTS_PREFIX));
    int heads = config.get(ConfigKeys.HEADS);
    if (weights.embedDim() % heads != 0) {
      throw UserErrors.headsDoNotDivide(heads, weights.embedDim(), config.get(ConfigKeys.WEIGHTS));
    }
    List<Integer> mapHeads = config.get(ConfigKeys.MAPS_HEADS);
    if (mapHeads != null && mapHeads.stream().anyMatch(h -> h >= heads)) {
      throw UserErrors.headOutOfRange(config.asMap().get(ConfigKeys.MAPS_HEADS.name()), heads);
    }
    Double scale = config.get(ConfigKeys.SCALE);
    AttentionOptions options =
        new AttentionOptions(
            heads,
            config.get(ConfigKeys.CAUSAL),
            config.get(ConfigKeys.ADD_ZERO_ATTN),
            scale == null ? SoftmaxScale.pytorchDefault() : SoftmaxScale.of(scale),
            config.get(ConfigKeys.BLOCK_SIZE));
    boolean inputIsPattern = checkInputExists(hadoopConf);
    WriteMode mode = config.mode();
    StagedDataset outputSet = guard.claim(output, mode, hadoopConf, dryRun);
    StagedDataset mapsSet = maps == null ? null : guard.claim(maps, mode, hadoopConf, dryRun);
    StagedDataset badSet = bad == null ? null : guard.claim(bad, mode, hadoopConf, dryRun);
    return new Prepared(
        input.resolved().toString(),
        weightsPath.resolved().toString(),
        weights,
        weightsFile.sha256(),
        options,
        inputIsPattern,
        outputSet,
        mapsSet,
        badSet);
  }

  /**
   * The input exists: as a literal path (which may hold glob characters, as {@code in[1]} does), or
   * else as a glob pattern that matches something. Returns whether it is a pattern.
   */
  private boolean checkInputExists(Configuration hadoopConf) {
    String input = config.input();
    try {
      Path p = new Path(input);
      FileSystem fs = p.getFileSystem(hadoopConf);
      if (fs.exists(p)) {
        return false;
      }
      FileStatus[] found = fs.globStatus(p);
      if (found == null || found.length == 0) {
        throw UserErrors.inputMissing(String.valueOf(input), fs.makeQualified(p).toString());
      }
      return true;
    } catch (IOException e) {
      throw UserErrors.inputUnreadable(String.valueOf(input), e.getMessage());
    }
  }

  private static DatasetPaths.Named named(String key, String path, Configuration conf, Role role) {
    return new DatasetPaths.Named(key, path, DatasetPaths.resolve(key, path, conf, role));
  }

  /**
   * The Hadoop configuration Spark's session will use: Hadoop's defaults and site files, with every
   * {@code spark.hadoop.*} entry of the Spark conf applied, as Spark does.
   */
  static Configuration hadoopConfiguration(Map<String, String> sparkConf) {
    Configuration conf = new Configuration();
    sparkConf.forEach(
        (k, v) -> {
          if (k.startsWith("spark.hadoop.")) {
            conf.set(k.substring("spark.hadoop.".length()), v);
          }
        });
    return conf;
  }

  /**
   * A column key set by the user (not its default) must name an input column: a mask column set but
   * missing would otherwise compute every row unmasked.
   */
  void requireConfiguredColumns(StructType schema) {
    List<String> names = List.of(schema.fieldNames());
    for (ConfigKey<String> key :
        List.of(
            ConfigKeys.COLUMN_ID,
            ConfigKeys.COLUMN_X,
            ConfigKeys.COLUMN_QUERY,
            ConfigKeys.COLUMN_KEY,
            ConfigKeys.COLUMN_VALUE,
            ConfigKeys.COLUMN_KEY_PADDING_MASK)) {
      String column = config.get(key);
      if (!"default".equals(config.sourceOf(key)) && !names.contains(column)) {
        throw UserErrors.configuredColumnMissing(key.name(), column, config.sourceOf(key), names);
      }
    }
  }
}
