package org.sparkattention.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.errors.AttentionException;

/**
 * The configuration as the README states it: every key, its default, the precedence, the refusals.
 */
class JobConfigTest {
  @TempDir Path dir;

  private static final String[] REQUIRED = {
    "--input", "in", "--output", "out", "--weights", "w.safetensors", "--heads", "4"
  };

  /** The required keys with {@code more} added; a required key given again replaces its value. */
  private static String[] with(String... more) {
    List<String> given = Arrays.asList(more);
    List<String> a = new ArrayList<>();
    for (int i = 0; i < REQUIRED.length; i += 2) {
      if (!given.contains(REQUIRED[i])) {
        a.addAll(List.of(REQUIRED[i], REQUIRED[i + 1]));
      }
    }
    a.addAll(given);
    return a.toArray(new String[0]);
  }

  private static AttentionException refused(String[] args, Map<String, String> spark) {
    AttentionException e =
        assertThrows(AttentionException.class, () -> JobConfig.load(args, spark));
    assertEquals(AttentionException.Kind.CONFIG, e.kind());
    return e;
  }

  @Test
  void everyContractKeyIsKnownWithItsDefault() {
    List<String> expected =
        List.of(
            "input",
            "input.format",
            "output",
            "mode",
            "partition.by",
            "weights",
            "weights.prefix",
            "heads",
            "causal",
            "add_zero_attn",
            "scale",
            "maps",
            "maps.output",
            "maps.topk",
            "maps.heads",
            "block.size",
            "partitions",
            "bad.rows",
            "bad.rows.output",
            "bad.rows.max",
            "columns.id",
            "columns.x",
            "columns.query",
            "columns.key",
            "columns.value",
            "columns.key_padding_mask");
    assertEquals(expected, ConfigKeys.ALL.stream().map(ConfigKey::name).toList());
    JobConfig c = JobConfig.load(REQUIRED, Map.of());
    assertEquals(InputFormat.PARQUET, c.get(ConfigKeys.INPUT_FORMAT));
    assertEquals(WriteMode.ERRORIFEXISTS, c.mode());
    assertEquals(List.of(), c.partitionBy());
    assertEquals("", c.get(ConfigKeys.WEIGHTS_PREFIX));
    assertEquals(false, c.get(ConfigKeys.CAUSAL));
    assertEquals(false, c.get(ConfigKeys.ADD_ZERO_ATTN));
    assertNull(c.get(ConfigKeys.SCALE));
    assertEquals(MapsSetting.NONE, c.maps());
    assertEquals(256, c.get(ConfigKeys.BLOCK_SIZE), "the README's default, not a sentinel");
    assertEquals(8, c.get(ConfigKeys.MAPS_TOPK));
    assertNull(c.get(ConfigKeys.MAPS_HEADS), "every head");
    assertNull(c.get(ConfigKeys.PARTITIONS));
    assertEquals(BadRowsPolicy.FAIL, c.badRows());
    assertEquals("id", c.get(ConfigKeys.COLUMN_ID));
    assertEquals("x", c.get(ConfigKeys.COLUMN_X));
    assertEquals("query", c.get(ConfigKeys.COLUMN_QUERY));
    assertEquals("key", c.get(ConfigKeys.COLUMN_KEY));
    assertEquals("value", c.get(ConfigKeys.COLUMN_VALUE));
    assertEquals("key_padding_mask", c.get(ConfigKeys.COLUMN_KEY_PADDING_MASK));
  }

  @Test
  void precedenceIsDefaultThenFileThenSparkConfThenCommandLine() throws Exception {
    Path file = dir.resolve("job.properties");
    Files.writeString(
        file,
        "input = in\noutput = out\nweights = w\nheads = 2\nblock.size = 16\npartitions = 3\n"
            + "maps = mean\nmaps.output = m\n");
    Map<String, String> spark =
        Map.of(
            "spark.attention.partitions", "5",
            "spark.attention.heads", "8",
            "spark.master", "local[2]");
    JobConfig c = JobConfig.load(new String[] {"--config", file.toString(), "--heads", "4"}, spark);
    assertEquals(16, c.get(ConfigKeys.BLOCK_SIZE), "from the file");
    assertEquals(5, c.get(ConfigKeys.PARTITIONS), "Spark conf over the file");
    assertEquals(4, c.get(ConfigKeys.HEADS), "command line over Spark conf");
    assertEquals("the command line", c.sourceOf(ConfigKeys.HEADS));
    assertEquals(MapsSetting.MEAN, c.maps(), "from the file");
    assertEquals(InputFormat.PARQUET, c.get(ConfigKeys.INPUT_FORMAT), "default");
  }

  @Test
  void mapSettingsBelongToTheirModes() {
    String[] topk = with("--maps", "topk", "--maps.output", "m");
    assertEquals(MapsSetting.TOPK, load(topk).maps());
    assertEquals(3, load(topk, "--maps.topk", "3").get(ConfigKeys.MAPS_TOPK));
    assertEquals(List.of(2, 0), load(topk, "--maps.heads", "2, 0").get(ConfigKeys.MAPS_HEADS));
    String[] heads = with("--maps", "heads", "--maps.output", "m");
    assertTrue(
        refused(concat(heads, "--maps.topk", "3"), Map.of())
            .getMessage()
            .contains("'maps.topk' is set but 'maps' is 'heads'"));
    assertTrue(
        refused(with("--maps", "mean", "--maps.output", "m", "--maps.heads", "1"), Map.of())
            .getMessage()
            .contains("'maps.heads' is set but 'maps' is 'mean'"));
    for (String bad : List.of("0,0", "-1", "a")) {
      assertTrue(
          refused(concat(heads, "--maps.heads", bad), Map.of())
              .getMessage()
              .contains("comma-separated head indices"),
          bad);
    }
    assertTrue(
        refused(concat(topk, "--maps.topk", "0"), Map.of())
            .getMessage()
            .contains("a whole number from 1 to 1024"));
  }

  @Test
  void equalsSignFormAndPartitionList() {
    JobConfig c = JobConfig.load(with("--partition.by=date, country", "--causal=TRUE"), Map.of());
    assertEquals(List.of("date", "country"), c.partitionBy());
    assertEquals(true, c.get(ConfigKeys.CAUSAL));
  }

  @Test
  void unknownCommandLineKeyNamesTheNearestKnownKey() {
    String m = refused(with("--head", "4"), Map.of()).getMessage();
    assertTrue(m.contains("'head'") && m.contains("Did you mean 'heads'"), m);
  }

  @Test
  void unknownSparkConfKeyNamesTheNearestKnownKey() {
    String m = refused(REQUIRED, Map.of("spark.attention.maps.ouptut", "x")).getMessage();
    assertTrue(m.contains("'maps.ouptut'") && m.contains("'maps.output'"), m);
  }

  @Test
  void unknownFileKeyNamesTheNearestKnownKey() throws Exception {
    Path file = dir.resolve("typo.properties");
    Files.writeString(file, "bad.row = quarantine\n");
    String m = refused(with("--config", file.toString()), Map.of()).getMessage();
    assertTrue(m.contains("'bad.row'") && m.contains("'bad.rows'") && m.contains(file.toString()));
  }

  @Test
  void missingRequiredKey() {
    String m =
        refused(new String[] {"--input", "i", "--output", "o", "--weights", "w"}, Map.of())
            .getMessage();
    assertTrue(m.contains("'heads' is required"), m);
  }

  @Test
  void badValues() {
    assertTrue(refused(with("--heads", "0"), Map.of()).getMessage().contains("'heads'"));
    assertTrue(refused(with("--heads", "four"), Map.of()).getMessage().contains("'four'"));
    assertTrue(refused(with("--causal", "yes"), Map.of()).getMessage().contains("true or false"));
    assertTrue(refused(with("--scale", "-1"), Map.of()).getMessage().contains("'scale'"));
    assertTrue(refused(with("--mode", "replace"), Map.of()).getMessage().contains("overwrite"));
    assertTrue(refused(with("--maps", "all"), Map.of()).getMessage().contains("'maps'"));
    assertTrue(refused(with("--block.size", "0"), Map.of()).getMessage().contains("block.size"));
    assertTrue(refused(with("--partitions", "x"), Map.of()).getMessage().contains("partitions"));
    assertTrue(refused(with("--input.format", "csv"), Map.of()).getMessage().contains("parquet"));
  }

  @Test
  void mapsNeedMapsOutput() {
    assertTrue(refused(with("--maps", "heads"), Map.of()).getMessage().contains("maps.output"));
  }

  @Test
  void anOutputWhoseSettingWritesNothingThereIsRefused() {
    String m = refused(with("--maps.output", "m"), Map.of()).getMessage();
    assertTrue(m.contains("'maps.output' is set but 'maps' is 'none'"), m);
    m = refused(with("--bad.rows.output", "b"), Map.of()).getMessage();
    assertTrue(m.contains("'bad.rows.output' is set but 'bad.rows' is 'fail'"), m);
  }

  @Test
  void anOptionGivenTwiceIsRefusedNotDropped() throws Exception {
    String[] twice = Arrays.copyOf(REQUIRED, REQUIRED.length + 2);
    twice[REQUIRED.length] = "--heads";
    twice[REQUIRED.length + 1] = "8";
    String m = refused(twice, Map.of()).getMessage();
    assertTrue(m.contains("'--heads' is given twice ('4' and '8')"), m);
    Path a = Files.writeString(dir.resolve("a.properties"), "heads = 4\n");
    Path b = Files.writeString(dir.resolve("b.properties"), "heads = 8\n");
    m = refused(with("--config", a.toString(), "--config", b.toString()), Map.of()).getMessage();
    assertTrue(m.contains("'--config' is given twice"), m);
  }

  @Test
  void aConfigFileThatIsNotUtf8IsNamed() throws Exception {
    Path latin1 = dir.resolve("latin1.properties");
    Files.write(
        latin1, "input = donn\u00e9es\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    String m = refused(with("--config", latin1.toString()), Map.of()).getMessage();
    assertTrue(m.contains("'" + latin1 + "' (--config) is not UTF-8 text"), m);
  }

  @Test
  void badRowsMaxIsACountOrAShare() {
    String[] quarantine = {"--bad.rows", "quarantine", "--bad.rows.output", "b"};
    BadRowsLimit count = load(quarantine, "--bad.rows.max", "1000").get(ConfigKeys.BAD_ROWS_MAX);
    assertEquals(1000, count.allowed(10_000_000));
    assertEquals(
        100,
        load(quarantine, "--bad.rows.max", "0.01").get(ConfigKeys.BAD_ROWS_MAX).allowed(10_000));
    assertEquals(
        100, load(quarantine, "--bad.rows.max", "1%").get(ConfigKeys.BAD_ROWS_MAX).allowed(10_000));
    assertEquals(
        0, load(quarantine, "--bad.rows.max", "0").get(ConfigKeys.BAD_ROWS_MAX).allowed(5));
    for (String bad : List.of("-1", "1.5", "150%", "some")) {
      String m = refused(concat(with(quarantine), "--bad.rows.max", bad), Map.of()).getMessage();
      assertTrue(m.contains("'bad.rows.max' has value '" + bad + "'"), m);
    }
    String m = refused(with("--bad.rows.max", "10"), Map.of()).getMessage();
    assertTrue(m.contains("'bad.rows.max' is set but 'bad.rows' is 'fail'"), m);
  }

  private static String[] concat(String[] a, String... more) {
    String[] out = Arrays.copyOf(a, a.length + more.length);
    System.arraycopy(more, 0, out, a.length, more.length);
    return out;
  }

  private static JobConfig load(String[] base, String... more) {
    return JobConfig.load(concat(with(base), more), Map.of());
  }

  @Test
  void quarantineNeedsBadRowsOutput() {
    String m = refused(with("--bad.rows", "quarantine"), Map.of()).getMessage();
    assertTrue(m.contains("bad.rows.output"), m);
  }

  @Test
  void overwritePartitionsNeedsPartitionBy() {
    String m = refused(with("--mode", "overwrite-partitions"), Map.of()).getMessage();
    assertTrue(m.contains("partition.by"), m);
  }

  @Test
  void choicesAreTypedAndTheirNamesListedWhenRefused() {
    JobConfig c =
        JobConfig.load(with("--mode", "Overwrite-Partitions", "--partition.by", "d"), Map.of());
    assertEquals(WriteMode.OVERWRITE_PARTITIONS, c.mode());
    String m = refused(with("--mode", "upsert"), Map.of()).getMessage();
    assertTrue(m.contains("one of errorifexists, overwrite, append, overwrite-partitions"), m);
  }

  @Test
  void helpShowsTheTrueDefaults() {
    String help = JobConfig.help();
    assertTrue(
        help.contains(
            "tile edge of the blocked kernel (a whole number from 1 to 4096; default: 256)"),
        help);
    assertTrue(
        help.contains(
            "(one of errorifexists, overwrite, append, overwrite-partitions; default: errorifexists)"),
        help);
    assertTrue(
        help.contains(
            "input dataset: a path or any Hadoop file-system URI (a non-empty path or URI; required)"),
        help);
  }

  @Test
  void aPartitionColumnNamedTwiceIsRefused() {
    String m = refused(with("--partition.by", "date,Date"), Map.of()).getMessage();
    assertTrue(m.contains("'partition.by' names column 'Date' twice"), m);
  }

  @Test
  void missingConfigFile() {
    String m = refused(new String[] {"--config", "/no/such.properties"}, Map.of()).getMessage();
    assertTrue(m.contains("/no/such.properties"), m);
  }

  @Test
  void strayArgument() {
    assertTrue(refused(with("extra"), Map.of()).getMessage().contains("'extra'"));
    assertTrue(refused(with("--heads"), Map.of()).getMessage().contains("no value"));
  }
}
