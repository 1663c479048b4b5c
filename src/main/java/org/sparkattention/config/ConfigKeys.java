package org.sparkattention.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkattention.kernel.AttentionOptions;

/** Every configuration key of the job, in the order the README's configuration table lists them. */
public final class ConfigKeys {
  private ConfigKeys() {}

  public static final ConfigKey<String> INPUT =
      ConfigKey.path("input", null, "input dataset: a path or any Hadoop file-system URI");
  public static final ConfigKey<InputFormat> INPUT_FORMAT =
      ConfigKey.choice("input.format", InputFormat.PARQUET, "input format", InputFormat.class);
  public static final ConfigKey<String> OUTPUT =
      ConfigKey.path("output", null, "output dataset path");
  public static final ConfigKey<WriteMode> MODE =
      ConfigKey.choice(
          "mode",
          WriteMode.ERRORIFEXISTS,
          "save mode; overwrite-partitions replaces only the partitions this run writes",
          WriteMode.class);
  public static final ConfigKey<String> PARTITION_BY =
      ConfigKey.string(
          "partition.by", "", "comma-separated input columns to partition the output and maps by");
  public static final ConfigKey<String> WEIGHTS =
      ConfigKey.path("weights", null, "safetensors file, local path or Hadoop URI");
  public static final ConfigKey<String> WEIGHTS_PREFIX =
      ConfigKey.string(
          "weights.prefix", "", "prefix of the attention layer's tensor names in a checkpoint");
  public static final ConfigKey<Integer> HEADS =
      ConfigKey.positiveInt("heads", null, "number of heads H (must divide E)");
  public static final ConfigKey<Boolean> CAUSAL =
      ConfigKey.bool("causal", false, "causal mask, top-left aligned: query i sees keys 0..i");
  public static final ConfigKey<Boolean> ADD_ZERO_ATTN =
      ConfigKey.bool("add_zero_attn", false, "append one all-zero key and value, as PyTorch");
  public static final ConfigKey<Double> SCALE =
      new ConfigKey<>(
          "scale",
          null,
          Double::valueOf,
          d -> d > 0 && Double.isFinite(d),
          "a positive finite number",
          "softmax scale (default 1/sqrt(E/H))");
  public static final ConfigKey<MapsSetting> MAPS =
      ConfigKey.choice("maps", MapsSetting.NONE, "attention maps to write", MapsSetting.class);
  public static final ConfigKey<String> MAPS_OUTPUT =
      ConfigKey.path("maps.output", null, "attention-map dataset path (required with maps)");
  public static final ConfigKey<Integer> MAPS_TOPK =
      new ConfigKey<>(
          "maps.topk",
          "8",
          Integer::valueOf,
          i -> i >= 1 && i <= 1024,
          "a whole number from 1 to 1024",
          "with maps=topk, the strongest keys written per query");
  public static final ConfigKey<List<Integer>> MAPS_HEADS =
      new ConfigKey<>(
          "maps.heads",
          null,
          ConfigKeys::headList,
          l -> !l.isEmpty(),
          "comma-separated head indices from 0 (0,3,5)",
          "the heads to write with maps=heads, summary or topk (default: every head)");
  public static final ConfigKey<Integer> BLOCK_SIZE =
      new ConfigKey<>(
          "block.size",
          String.valueOf(AttentionOptions.DEFAULT_BLOCK_SIZE),
          Integer::valueOf,
          i -> i >= 1 && i <= 4096,
          "a whole number from 1 to 4096",
          "tile edge of the blocked kernel");
  public static final ConfigKey<Integer> PARTITIONS =
      new ConfigKey<>(
          "partitions",
          null,
          Integer::valueOf,
          i -> i >= 1 && i <= 1_000_000,
          "a whole number from 1 to 1000000",
          "number of tasks (default: chosen from the total cost)");
  public static final ConfigKey<BadRowsPolicy> BAD_ROWS =
      ConfigKey.choice(
          "bad.rows", BadRowsPolicy.FAIL, "what to do with a bad row", BadRowsPolicy.class);
  public static final ConfigKey<String> BAD_ROWS_OUTPUT =
      ConfigKey.path("bad.rows.output", null, "dataset for rejected rows (with quarantine)");
  public static final ConfigKey<BadRowsLimit> BAD_ROWS_MAX =
      new ConfigKey<>(
          "bad.rows.max",
          null,
          BadRowsLimit::parse,
          l -> true,
          "a whole number of rows (0 or more), or a share of the input rows (0.01 or 1%)",
          "with quarantine, the most bad rows set aside before the run fails with nothing written");
  public static final ConfigKey<String> COLUMN_ID =
      ConfigKey.string("columns.id", "id", "id column");
  public static final ConfigKey<String> COLUMN_X =
      ConfigKey.string("columns.x", "x", "self-attention sequence column");
  public static final ConfigKey<String> COLUMN_QUERY =
      ConfigKey.string("columns.query", "query", "cross-attention query column");
  public static final ConfigKey<String> COLUMN_KEY =
      ConfigKey.string("columns.key", "key", "cross-attention key column");
  public static final ConfigKey<String> COLUMN_VALUE =
      ConfigKey.string("columns.value", "value", "cross-attention value column");
  public static final ConfigKey<String> COLUMN_KEY_PADDING_MASK =
      ConfigKey.string(
          "columns.key_padding_mask", "key_padding_mask", "key padding mask column (optional)");

  public static final List<ConfigKey<?>> ALL =
      List.of(
          INPUT,
          INPUT_FORMAT,
          OUTPUT,
          MODE,
          PARTITION_BY,
          WEIGHTS,
          WEIGHTS_PREFIX,
          HEADS,
          CAUSAL,
          ADD_ZERO_ATTN,
          SCALE,
          MAPS,
          MAPS_OUTPUT,
          MAPS_TOPK,
          MAPS_HEADS,
          BLOCK_SIZE,
          PARTITIONS,
          BAD_ROWS,
          BAD_ROWS_OUTPUT,
          BAD_ROWS_MAX,
          COLUMN_ID,
          COLUMN_X,
          COLUMN_QUERY,
          COLUMN_KEY,
          COLUMN_VALUE,
          COLUMN_KEY_PADDING_MASK);

  static final Map<String, ConfigKey<?>> BY_NAME = byName();

  private static Map<String, ConfigKey<?>> byName() {
    Map<String, ConfigKey<?>> m = new LinkedHashMap<>();
    for (ConfigKey<?> k : ALL) {
      m.put(k.name(), k);
    }
    return m;
  }

  /** "0, 3,5" as [0, 3, 5]: distinct indices of 0 or more, in the order given. */
  private static List<Integer> headList(String value) {
    List<Integer> heads = new ArrayList<>();
    for (String part : value.split(",")) {
      int h = Integer.parseInt(part.trim());
      if (h < 0 || heads.contains(h)) {
        return List.of();
      }
      heads.add(h);
    }
    return List.copyOf(heads);
  }

  /** The known key closest to {@code name} by edit distance. */
  public static String nearest(String name) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String known : BY_NAME.keySet()) {
      int d = editDistance(name.toLowerCase(java.util.Locale.ROOT), known);
      if (d < bestDistance) {
        bestDistance = d;
        best = known;
      }
    }
    return best;
  }

  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
