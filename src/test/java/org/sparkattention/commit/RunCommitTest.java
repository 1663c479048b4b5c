package org.sparkattention.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparkattention.config.WriteMode;
import org.sparkattention.errors.AttentionException;

/**
 * The run's commit on the local file system, without Spark: a fault injected before every step
 * leaves every dataset byte for byte as it was and no staging behind; without a fault the datasets
 * are what the mode says.
 */
class RunCommitTest {
  @TempDir Path dir;

  private final Configuration conf = new Configuration();
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();

  @AfterEach
  void clearFault() {
    System.clearProperty(RunCommit.FAIL_AT_STEP);
  }

  private PrintStream log() {
    return new PrintStream(log, true, StandardCharsets.UTF_8);
  }

  private static final Map<String, String> OLD_OUT =
      Map.of(
          "_SUCCESS", "",
          "_attention_summary.json", "{old}",
          "date=1/part-0-old.parquet", "old out 1",
          "date=2/part-0-old.parquet", "old out 2");
  private static final Map<String, String> OLD_MAPS =
      Map.of("_SUCCESS", "", "date=1/part-0-old.parquet", "old maps 1");
  private static final Map<String, String> NEW_OUT =
      Map.of(
          "_SUCCESS", "",
          "_attention_summary.json", "{new}",
          "date=2/part-0-new.parquet", "new out 2",
          "date=3/part-0-new.parquet", "new out 3");
  private static final Map<String, String> NEW_MAPS =
      Map.of("_SUCCESS", "", "date=2/part-0-new.parquet", "new maps 2");

  /** Existing output and maps datasets, and one run's staged data for both. */
  private List<StagedDataset> stage(String mode, RunOwner owner) {
    WriteMode writeMode =
        WriteMode.valueOf(mode.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    Path out = dir.resolve("out");
    Path maps = dir.resolve("maps");
    if (!Files.exists(out)) {
      DatasetTrees.write(out, OLD_OUT);
      DatasetTrees.write(maps, OLD_MAPS);
    }
    StagedDataset o = prepare("output", out, writeMode, owner);
    StagedDataset m = prepare("maps.output", maps, writeMode, owner);
    DatasetTrees.write(Path.of(java.net.URI.create(o.stagingPath())), NEW_OUT);
    DatasetTrees.write(Path.of(java.net.URI.create(m.stagingPath())), NEW_MAPS);
    return List.of(o, m);
  }

  private StagedDataset prepare(String what, Path path, WriteMode mode, RunOwner owner) {
    return StagedDataset.prepare(
        what,
        DatasetPaths.resolve(what, path.toString(), conf, DatasetPaths.Role.OUTPUT),
        mode,
        conf,
        owner,
        log());
  }

  private static Map<String, String> merged(Map<String, String> old, Map<String, String> add) {
    Map<String, String> m = new TreeMap<>(old);
    m.putAll(add);
    return m;
  }

  /** Files only (the snapshot lists directories too). */
  private static Map<String, String> files(Path root) {
    Map<String, String> m = new TreeMap<>();
    DatasetTrees.snapshot(root)
        .forEach(
            (k, v) -> {
              if (!v.equals("<dir>") && !k.endsWith(".crc")) {
                m.put(k, new String(java.util.HexFormat.of().parseHex(v), StandardCharsets.UTF_8));
              }
            });
    return m;
  }

  @ParameterizedTest
  @ValueSource(strings = {"overwrite", "append", "overwrite-partitions"})
  void aFaultAtAnyStepLeavesEveryDatasetAsItWas(String mode) {
    Map<String, String> before = DatasetTrees.snapshot(dir);
    int step = 0;
    while (true) {
      RunOwner owner = RunOwner.current();
      List<StagedDataset> datasets = stage(mode, owner);
      if (step == 0) {
        before = DatasetTrees.snapshot(dir.resolve("out"));
        before.putAll(prefixed("maps/", DatasetTrees.snapshot(dir.resolve("maps"))));
      }
      System.setProperty(RunCommit.FAIL_AT_STEP, Integer.toString(step));
      try {
        RunCommit.commit(datasets, owner);
        break; // past the last step: the commit ran to its end
      } catch (AttentionException e) {
        assertTrue(e.getMessage().contains("fault injected"), e.getMessage());
        assertTrue(e.getMessage().contains("left as it was"), e.getMessage());
        Map<String, String> after = DatasetTrees.snapshot(dir.resolve("out"));
        after.putAll(prefixed("maps/", DatasetTrees.snapshot(dir.resolve("maps"))));
        assertEquals(before, after, "step " + step);
        try (var left = Files.list(dir)) {
          assertEquals(
              List.of("maps", "out"),
              left.map(p -> p.getFileName().toString()).sorted().toList(),
              "nothing of the run is left, step " + step);
        } catch (java.io.IOException io) {
          throw new AssertionError(io);
        }
      }
      step++;
    }
    assertTrue(step >= 4, "the commit had its steps: " + step);
    Map<String, String> out = files(dir.resolve("out"));
    Map<String, String> maps = files(dir.resolve("maps"));
    switch (mode) {
      case "overwrite" -> {
        assertEquals(NEW_OUT, out);
        assertEquals(NEW_MAPS, maps);
      }
      case "append" -> {
        assertEquals(merged(OLD_OUT, NEW_OUT), out);
        assertEquals(merged(OLD_MAPS, NEW_MAPS), maps);
      }
      default -> {
        Map<String, String> expected = merged(OLD_OUT, NEW_OUT);
        expected.remove("date=2/part-0-old.parquet"); // the partition this run wrote is replaced
        assertEquals(expected, out);
        assertEquals(merged(OLD_MAPS, NEW_MAPS), maps);
      }
    }
    try (var left = Files.list(dir)) {
      assertEquals(
          List.of("maps", "out"), left.map(p -> p.getFileName().toString()).sorted().toList());
    } catch (java.io.IOException io) {
      throw new AssertionError(io);
    }
  }

  private static Map<String, String> prefixed(String prefix, Map<String, String> m) {
    Map<String, String> r = new TreeMap<>();
    m.forEach((k, v) -> r.put(prefix + k, v));
    return r;
  }

  @Test
  void anUnrenamableDatasetFailsTheCommitAndRestoresTheOthers() throws Exception {
    RunOwner owner = RunOwner.current();
    List<StagedDataset> datasets = stage("overwrite", owner);
    Map<String, String> out = DatasetTrees.snapshot(dir.resolve("out"));
    Map<String, String> maps = DatasetTrees.snapshot(dir.resolve("maps"));
    Process chattr = new ProcessBuilder("chattr", "+i", dir.resolve("maps").toString()).start();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        chattr.waitFor() == 0, "chattr +i needs root on a file system with attributes");
    try {
      AttentionException e =
          assertThrows(AttentionException.class, () -> RunCommit.commit(datasets, owner));
      assertTrue(e.getMessage().contains("left as it was"), e.getMessage());
      assertEquals(5, e.kind().exitCode());
    } finally {
      new ProcessBuilder("chattr", "-i", dir.resolve("maps").toString()).start().waitFor();
    }
    assertEquals(out, DatasetTrees.snapshot(dir.resolve("out")), "output moved back");
    assertEquals(maps, DatasetTrees.snapshot(dir.resolve("maps")), "maps not emptied");
    try (var left = Files.list(dir)) {
      assertEquals(
          List.of("maps", "out"), left.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void errorIfExistsRefusesAnExistingDatasetBeforeStaging() {
    DatasetTrees.write(dir.resolve("out"), OLD_OUT);
    AttentionException e =
        assertThrows(
            AttentionException.class,
            () ->
                prepare("output", dir.resolve("out"), WriteMode.ERRORIFEXISTS, RunOwner.current()));
    assertTrue(e.getMessage().contains("already exists and mode is errorifexists"), e.getMessage());
    assertEquals(List.of("out"), listNames(dir));
  }

  @Test
  void aDatasetThatAppearedDuringTheRunIsNotReplaced() {
    RunOwner owner = RunOwner.current();
    StagedDataset o = prepare("output", dir.resolve("out"), WriteMode.ERRORIFEXISTS, owner);
    DatasetTrees.write(Path.of(java.net.URI.create(o.stagingPath())), NEW_OUT);
    DatasetTrees.write(dir.resolve("out"), OLD_OUT);
    Map<String, String> before = DatasetTrees.snapshot(dir.resolve("out"));
    AttentionException e =
        assertThrows(AttentionException.class, () -> RunCommit.commit(List.of(o), owner));
    assertTrue(e.getMessage().contains("appeared while the job ran"), e.getMessage());
    assertEquals(before, DatasetTrees.snapshot(dir.resolve("out")));
    assertEquals(List.of("out"), listNames(dir));
  }

  @Test
  void aParentThatIsAFileIsRefused() throws Exception {
    Files.writeString(dir.resolve("file"), "x");
    AttentionException e =
        assertThrows(
            AttentionException.class,
            () ->
                prepare(
                    "output", dir.resolve("file/out"), WriteMode.OVERWRITE, RunOwner.current()));
    assertTrue(e.getMessage().contains("is a file, not a directory"), e.getMessage());
    assertEquals(5, e.kind().exitCode());
  }

  @Test
  void anUnwritableParentIsRefusedBeforeTheRun() throws Exception {
    Path locked = dir.resolve("locked");
    Files.createDirectories(locked);
    Process chattr = new ProcessBuilder("chattr", "+i", locked.toString()).start();
    org.junit.jupiter.api.Assumptions.assumeTrue(chattr.waitFor() == 0, "chattr +i available");
    try {
      AttentionException e =
          assertThrows(
              AttentionException.class,
              () ->
                  prepare(
                      "output", locked.resolve("out"), WriteMode.OVERWRITE, RunOwner.current()));
      assertTrue(e.getMessage().contains("cannot be written"), e.getMessage());
      assertTrue(e.getMessage().contains("writable"), e.getMessage());
    } finally {
      new ProcessBuilder("chattr", "-i", locked.toString()).start().waitFor();
    }
    assertEquals(List.of(), listNames(locked));
  }

  @Test
  void createdParentsAreRemovedOnAbort() {
    StagedDataset d =
        prepare("output", dir.resolve("a/b/out"), WriteMode.ERRORIFEXISTS, RunOwner.current());
    assertTrue(Files.isDirectory(dir.resolve("a/b")));
    d.abort();
    assertEquals(List.of(), listNames(dir));
  }

  /** A run whose process has ended. */
  private static RunOwner deadOwner() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return new RunOwner("20260101000000-deadbeef0000", RunOwner.hostName(), p.pid(), 0);
  }

  @Test
  void stagingOfADeadRunIsRemovedByTheNextRun() throws Exception {
    DatasetTrees.write(dir.resolve("out"), OLD_OUT);
    RunOwner dead = deadOwner();
    StagedDataset left = prepare("output", dir.resolve("out"), WriteMode.OVERWRITE, dead);
    DatasetTrees.write(Path.of(java.net.URI.create(left.stagingPath())), NEW_OUT);
    assertEquals(3, listNames(dir).size(), "out, staging and owner file");
    Map<String, String> before = DatasetTrees.snapshot(dir.resolve("out"));

    StagedDataset next =
        prepare("output", dir.resolve("out"), WriteMode.OVERWRITE, RunOwner.current());
    String notes = log.toString(StandardCharsets.UTF_8);
    assertTrue(notes.contains("note: removed the staging that run " + dead.runId()), notes);
    assertTrue(notes.contains("no longer running"), notes);
    next.abort();
    assertEquals(List.of("out"), listNames(dir));
    assertEquals(before, DatasetTrees.snapshot(dir.resolve("out")));
  }

  @Test
  void stagingOfALiveRunIsLeftAlone() {
    DatasetTrees.write(dir.resolve("out"), OLD_OUT);
    RunOwner self = RunOwner.current();
    // Another run of this very process: alive.
    RunOwner alive =
        new RunOwner("20260101000000-a11ve0000000", self.host(), self.pid(), self.pidStartMillis());
    StagedDataset other = prepare("output", dir.resolve("out"), WriteMode.OVERWRITE, alive);
    prepare("output", dir.resolve("out"), WriteMode.OVERWRITE, self).abort();
    assertTrue(Files.exists(Path.of(java.net.URI.create(other.stagingPath())).getParent()));
    assertEquals(2, listNames(dir).size(), "out and the live run's owner file");
    other.abort();
  }

  @Test
  void aCommitInterruptedByDeathIsUndoneByTheNextRun() throws Exception {
    RunOwner dead = deadOwner();
    List<StagedDataset> datasets = stage("overwrite", dead);
    Map<String, String> out = DatasetTrees.snapshot(dir.resolve("out"));
    Map<String, String> maps = DatasetTrees.snapshot(dir.resolve("maps"));
    // The dead run got as far as its journal and the output's two renames, then died.
    List<RunCommit.Step> steps = new java.util.ArrayList<>();
    for (StagedDataset d : datasets) {
      steps.addAll(RunCommit.plan(d));
    }
    RunJournal journal =
        new RunJournal(
            dead,
            RunJournal.COMMITTING,
            steps.stream().map(RunCommit.Step::journal).toList(),
            datasets.stream().map(d -> d.fs().makeQualified(d.ownerFile()).toString()).toList());
    for (StagedDataset d : datasets) {
      journal.write(d.fs(), d.ownerFile());
    }
    FileSystem fs = datasets.get(0).fs();
    FileMoves.rename(fs, steps.get(0).from(), steps.get(0).to());
    FileMoves.rename(fs, steps.get(1).from(), steps.get(1).to());
    assertEquals(files(Path.of(java.net.URI.create(datasets.get(0).targetPath()))), NEW_OUT);

    prepare("output", dir.resolve("out"), WriteMode.OVERWRITE, RunOwner.current()).abort();
    prepare("maps.output", dir.resolve("maps"), WriteMode.OVERWRITE, RunOwner.current()).abort();
    assertTrue(
        log.toString(StandardCharsets.UTF_8).contains("its commit was undone"), log.toString());
    assertEquals(out, DatasetTrees.snapshot(dir.resolve("out")));
    assertEquals(maps, DatasetTrees.snapshot(dir.resolve("maps")));
    assertEquals(List.of("maps", "out"), listNames(dir));
  }

  @Test
  void aDatasetADeadCommitMovedAsideCountsAsExistingForTheNextRun() throws Exception {
    RunOwner dead = deadOwner();
    List<StagedDataset> datasets = stage("overwrite", dead);
    Map<String, String> out = DatasetTrees.snapshot(dir.resolve("out"));
    List<RunCommit.Step> steps = RunCommit.plan(datasets.get(0));
    new RunJournal(
            dead,
            RunJournal.COMMITTING,
            steps.stream().map(RunCommit.Step::journal).toList(),
            List.of(datasets.get(0).fs().makeQualified(datasets.get(0).ownerFile()).toString()))
        .write(datasets.get(0).fs(), datasets.get(0).ownerFile());
    // It died between moving the old dataset aside and moving the new one in.
    FileMoves.rename(datasets.get(0).fs(), steps.get(0).from(), steps.get(0).to());
    assertFalse(Files.exists(dir.resolve("out")));

    AttentionException e =
        assertThrows(
            AttentionException.class,
            () ->
                prepare("output", dir.resolve("out"), WriteMode.ERRORIFEXISTS, RunOwner.current()));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    assertEquals(out, DatasetTrees.snapshot(dir.resolve("out")), "restored before the check");
  }

  @Test
  void dataSetAsideWithoutAJournalIsMovedBackWhenTheDatasetIsMissing() throws Exception {
    // What an earlier version's run left when it died between its two renames.
    DatasetTrees.write(dir.resolve(".out.replaced-0b7a"), OLD_OUT);
    prepare("output", dir.resolve("out"), WriteMode.OVERWRITE, RunOwner.current()).abort();
    assertEquals(OLD_OUT, files(dir.resolve("out")));
    assertEquals(List.of("out"), listNames(dir));
  }

  private static List<String> listNames(Path d) {
    try (var s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void overlappingPathsAreRefusedAsTheFileSystemSeesThem() throws Exception {
    Path in = dir.resolve("in");
    Files.createDirectories(in);
    Files.createSymbolicLink(dir.resolve("link"), in);
    String[][] overlapping = {
      {"file://" + in, "same directory"},
      {in + "/", "same directory"},
      {dir + "/x/../in", "same directory"},
      {dir.resolve("link").toString(), "same directory"},
      {in.resolve("sub").toString(), "inside"},
      {dir.toString(), "parent"},
    };
    for (String[] c : overlapping) {
      List<DatasetPaths.Named> paths =
          List.of(named("input", in.toString()), named("output", c[0]));
      AttentionException e =
          assertThrows(AttentionException.class, () -> DatasetPaths.requireDisjoint(paths), c[0]);
      assertTrue(e.getMessage().contains("input '" + in + "'"), e.getMessage());
      assertTrue(e.getMessage().contains("output '" + c[0] + "'"), e.getMessage());
      assertEquals(2, e.kind().exitCode());
    }
    DatasetPaths.requireDisjoint(
        List.of(named("input", in.toString()), named("output", dir.resolve("in2").toString())));
  }

  private DatasetPaths.Named named(String key, String path) {
    return new DatasetPaths.Named(
        key, path, DatasetPaths.resolve(key, path, conf, DatasetPaths.Role.INPUT));
  }

  @Test
  void aMissingConnectorNamesTheSchemeAndTheJar() {
    AttentionException e =
        assertThrows(
            AttentionException.class,
            () ->
                DatasetPaths.resolve(
                    "weights", "s3a://bucket/w.safetensors", conf, DatasetPaths.Role.INPUT));
    assertTrue(e.getMessage().contains("scheme 's3a'"), e.getMessage());
    assertTrue(e.getMessage().contains("hadoop-aws"), e.getMessage());
    assertEquals(2, e.kind().exitCode());
    AttentionException out =
        assertThrows(
            AttentionException.class,
            () -> DatasetPaths.resolve("output", "nofs://x/y", conf, DatasetPaths.Role.OUTPUT));
    assertEquals(5, out.kind().exitCode());
    assertFalse(out.getMessage().contains("\n"));
  }
}
