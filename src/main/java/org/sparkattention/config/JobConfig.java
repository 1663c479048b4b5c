package org.sparkattention.config;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;

/**
 * The job's configuration, merged from four layers, lowest first: built-in defaults, the {@code
 * --config} properties file, Spark conf {@code spark.attention.KEY}, and {@code --KEY VALUE} on the
 * command line. Every value is parsed and validated here, before any Spark stage runs.
 */
public final class JobConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Spark conf keys under this prefix are configuration keys. */
  public static final String SPARK_PREFIX = "spark.attention.";

  private final Map<String, String> raw;
  private final Map<String, String> sources;

  private JobConfig(Map<String, String> raw, Map<String, String> sources) {
    this.raw = raw;
    this.sources = sources;
  }

  /**
   * Merges and validates the layers.
   *
   * @param args command line: {@code --config FILE} and {@code --KEY VALUE} or {@code --KEY=VALUE}
   * @param sparkConf all Spark conf entries (only {@code spark.attention.*} ones are used)
   * @throws AttentionException (CONFIG) naming the key and what is wrong
   */
  public static JobConfig load(String[] args, Map<String, String> sparkConf) {
    Map<String, String> cli = new LinkedHashMap<>();
    String configFile = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw UserErrors.unexpectedArgument(arg);
      }
      String key = arg.substring(2);
      String value;
      int eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.substring(eq + 1);
        key = key.substring(0, eq);
      } else {
        if (i + 1 >= args.length) {
          throw UserErrors.optionWithoutValue(key);
        }
        value = args[++i];
      }
      if (key.equals("config")) {
        if (configFile != null) {
          throw UserErrors.optionTwice("config", configFile, value);
        }
        configFile = value;
      } else if (cli.containsKey(key)) {
        throw UserErrors.optionTwice(key, cli.get(key), value);
      } else {
        cli.put(key, value);
      }
    }

    Map<String, String> merged = new LinkedHashMap<>();
    Map<String, String> sources = new LinkedHashMap<>();
    for (ConfigKey<?> k : ConfigKeys.ALL) {
      if (k.defaultValue() != null) {
        merged.put(k.name(), k.defaultValue());
        sources.put(k.name(), "default");
      }
    }
    if (configFile != null) {
      layer(merged, sources, readProperties(configFile), "--config " + configFile);
    }
    Map<String, String> fromSpark = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : sparkConf.entrySet()) {
      if (e.getKey().startsWith(SPARK_PREFIX)) {
        fromSpark.put(e.getKey().substring(SPARK_PREFIX.length()), e.getValue());
      }
    }
    layer(merged, sources, fromSpark, "Spark conf " + SPARK_PREFIX + "*");
    layer(merged, sources, cli, "the command line");
    JobConfig config = new JobConfig(merged, sources);
    config.validate();
    return config;
  }

  private static void layer(
      Map<String, String> merged,
      Map<String, String> sources,
      Map<String, String> layer,
      String source) {
    for (Map.Entry<String, String> e : layer.entrySet()) {
      String key = e.getKey().trim();
      if (!ConfigKeys.BY_NAME.containsKey(key)) {
        throw UserErrors.unknownKey(key, source, ConfigKeys.nearest(key));
      }
      merged.put(key, e.getValue());
      sources.put(key, source);
    }
  }

  private static Map<String, String> readProperties(String file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (NoSuchFileException e) {
      throw UserErrors.configFileMissing(
          String.valueOf(file), Path.of(file).toAbsolutePath().normalize().toString());
    } catch (CharacterCodingException e) {
      throw UserErrors.configFileNotUtf8(String.valueOf(file));
    } catch (IOException | IllegalArgumentException e) {
      throw UserErrors.configFileUnreadable(String.valueOf(file), e.getMessage());
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (String name : p.stringPropertyNames()) {
      m.put(name, p.getProperty(name));
    }
    return m;
  }

  private void validate() {
    for (ConfigKey<?> k : ConfigKeys.ALL) {
      if (raw.containsKey(k.name())) {
        try {
          k.parse(raw.get(k.name()));
        } catch (AttentionException e) {
          throw UserErrors.invalidValueFrom(e, sources.get(k.name()));
        }
      }
    }
    require(ConfigKeys.INPUT, "the input dataset");
    require(ConfigKeys.OUTPUT, "where to write the output dataset");
    require(ConfigKeys.WEIGHTS, "the safetensors file of the attention layer");
    require(ConfigKeys.HEADS, "the layer's number of heads");
    if (maps() != MapsSetting.NONE && !isSet(ConfigKeys.MAPS_OUTPUT)) {
      throw UserErrors.mapsOutputMissing(maps().configName());
    }
    if (maps() == MapsSetting.NONE && isSet(ConfigKeys.MAPS_OUTPUT)) {
      throw UserErrors.outputWithoutItsSetting(
          "maps.output", "maps", "none", "maps=heads or maps=mean");
    }
    if (maps() != MapsSetting.TOPK && !"default".equals(sourceOf(ConfigKeys.MAPS_TOPK))) {
      throw UserErrors.settingWithoutItsMode("maps.topk", maps().configName(), "maps=topk");
    }
    if ((maps() == MapsSetting.NONE || maps() == MapsSetting.MEAN)
        && isSet(ConfigKeys.MAPS_HEADS)) {
      throw UserErrors.settingWithoutItsMode(
          "maps.heads", maps().configName(), "maps=heads, summary or topk");
    }
    if (badRows() == BadRowsPolicy.QUARANTINE && !isSet(ConfigKeys.BAD_ROWS_OUTPUT)) {
      throw UserErrors.badRowsOutputMissing();
    }
    if (badRows() == BadRowsPolicy.FAIL && isSet(ConfigKeys.BAD_ROWS_MAX)) {
      throw UserErrors.limitWithoutQuarantine();
    }
    if (badRows() == BadRowsPolicy.FAIL && isSet(ConfigKeys.BAD_ROWS_OUTPUT)) {
      throw UserErrors.outputWithoutItsSetting(
          "bad.rows.output", "bad.rows", "fail", "bad.rows=quarantine");
    }
    if (mode() == WriteMode.OVERWRITE_PARTITIONS && partitionBy().isEmpty()) {
      throw UserErrors.partitionByMissing();
    }
    List<String> seen = new ArrayList<>();
    for (String column : partitionBy()) {
      String lower = column.toLowerCase(Locale.ROOT);
      if (seen.contains(lower)) {
        throw UserErrors.partitionColumnTwice(column);
      }
      seen.add(lower);
    }
    // Whether the datasets' paths overlap is checked on their file systems (DatasetPaths).
  }

  private void require(ConfigKey<?> key, String what) {
    if (!isSet(key)) {
      throw UserErrors.requiredKey(key.name(), what, SPARK_PREFIX);
    }
  }

  public boolean isSet(ConfigKey<?> key) {
    String v = raw.get(key.name());
    return v != null && !v.trim().isEmpty();
  }

  /** The typed value of {@code key}, or null when unset without a default. */
  public <T> T get(ConfigKey<T> key) {
    if (isSet(key)) {
      return key.parse(raw.get(key.name()));
    }
    // A blank value means the default (an empty weights.prefix is a valid default).
    return key.defaultValue() == null ? null : key.parser().apply(key.defaultValue());
  }

  /** Every set key with its raw value (for the summary and logs). */
  public Map<String, String> asMap() {
    return Collections.unmodifiableMap(raw);
  }

  /** Where {@code key}'s value came from: default, --config FILE, Spark conf, command line. */
  public String sourceOf(ConfigKey<?> key) {
    return sources.get(key.name());
  }

  public String input() {
    return get(ConfigKeys.INPUT);
  }

  public String output() {
    return get(ConfigKeys.OUTPUT);
  }

  public WriteMode mode() {
    return get(ConfigKeys.MODE);
  }

  public MapsSetting maps() {
    return get(ConfigKeys.MAPS);
  }

  public String mapsOutput() {
    return get(ConfigKeys.MAPS_OUTPUT);
  }

  public BadRowsPolicy badRows() {
    return get(ConfigKeys.BAD_ROWS);
  }

  /** partition.by as a list of column names, empty when unset. */
  public List<String> partitionBy() {
    String v = get(ConfigKeys.PARTITION_BY);
    if (v == null || v.isBlank()) {
      return List.of();
    }
    return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** The help text: every key, its default and meaning. */
  public static String help() {
    StringBuilder sb = new StringBuilder();
    sb.append("usage: jobs/attention.sh [--config FILE] [--KEY VALUE ...]\n");
    sb.append(
        "Keys (lowest precedence first: default, --config file, spark.attention.KEY, --KEY):\n");
    List<ConfigKey<?>> required =
        List.of(ConfigKeys.INPUT, ConfigKeys.OUTPUT, ConfigKeys.WEIGHTS, ConfigKeys.HEADS);
    for (ConfigKey<?> k : ConfigKeys.ALL) {
      String value =
          required.contains(k)
              ? "required"
              : k.defaultValue() == null
                  ? "optional"
                  : "default: " + (k.defaultValue().isEmpty() ? "empty" : k.defaultValue());
      sb.append(String.format("  %-26s %s (%s; %s)%n", k.name(), k.help(), k.rule(), value));
    }
    return sb.toString();
  }
}
