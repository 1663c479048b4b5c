package org.sparkattention.job;

import static org.sparkattention.job.RunSummary.round;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.sparkattention.commit.StagedDataset;
import org.sparkattention.config.BadRowsLimit;
import org.sparkattention.config.ConfigKeys;
import org.sparkattention.config.InputFormat;
import org.sparkattention.config.JobConfig;
import org.sparkattention.config.MapsSetting;
import org.sparkattention.errors.UserErrors;
import org.sparkattention.io.InputLayout;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.SequenceCodec;
import org.sparkattention.io.spark.MatrixParquetFormat;
import org.sparkattention.io.spark.SparkInternals;
import org.sparkattention.kernel.BlockedAttentionKernel;
import org.sparkattention.kernel.CostModel;
import org.sparkattention.model.AttentionWeights;

/**
 * One run on a Spark session, step by step: read the input's schema and check its layout; when the
 * input partitions' footers say they are balanced tasks, compute them as they are and check each
 * row as it is computed (one read); when one partition holds every row, route each row to a task as
 * it is read and check it as it is computed (one read too); else scan every row once (bad rows,
 * costs) and plan the tasks by cost; compute and write every dataset to staging, summarise, commit.
 * Each step is one method; their results are this object's state.
 */
final class AttentionRun {
  /** Spark's reader option (DataSource.GLOB_PATHS_KEY) that turns glob expansion off. */
  private static final String GLOB_PATHS_OPTION = "__globPaths__";

  private final JobConfig config;
  private final PrintStream log;
  private final SparkSession spark;
  private final JavaSparkContext sc;
  private final Preflight.Prepared prepared;
  private final RunGuard guard;
  private final JobListener listener;
  private final List<String> notes = new ArrayList<>();
  private final long t0 = System.nanoTime();
  private final Instant started;

  /** What the run's file names carry ({@link FileNames}). */
  private final String fileToken;

  // readInput, resolveLayout
  private Dataset<Row> df;
  private StructType schema;
  private SequenceCodec codec;
  private OutputRows outputRows;

  // scanInput
  private JavaRDD<InternalRow> input;

  private RowCheck check;
  private List<PartitionSummary> summaries;

  /** The first bad rows found (id, reason), a few at most, for messages. */
  private final List<String[]> firstBad = new ArrayList<>();

  private long sequences;
  private long badRows;
  private double readSeconds;

  /** The input is read once: the compute tasks check its rows, no scan before them. */
  private boolean readOnce;

  // planTasks, computeAndWrite
  private CostPlan plan;
  private Broadcast<CostPlan> broadcastPlan;
  private JobMetrics metrics;
  private final List<String> runPhases = new ArrayList<>();
  private double runSeconds;

  AttentionRun(
      JobConfig config,
      PrintStream log,
      SparkSession spark,
      Preflight.Prepared prepared,
      RunGuard guard,
      Instant started) {
    this.config = config;
    this.started = started;
    this.fileToken = FileNames.token(config, prepared.weightsSha256(), guard.runId());
    this.log = log;
    this.spark = spark;
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.prepared = prepared;
    this.guard = guard;
    this.listener = new JobListener(spark.sparkContext(), log, started);
  }

  /**
   * Runs every step; on any failure this run's staging is removed and every dataset stays as it
   * was.
   *
   * @param startSeconds time already spent before the session existed (JVM and Spark start)
   */
  RunSummary execute(double startSeconds) {
    return listening(
        () -> {
          try {
            checkAndPlan(true);
            computeAndWrite();
            listener.phase("committing");
            RunSummary summary = summarise(startSeconds);
            // The summary travels with the output's data: the commit puts both in place at once.
            prepared.output().writeStagedFile(AttentionJob.SUMMARY_FILE, summary.toPrettyJson());
            guard.commit(prepared.datasets());
            return summary;
          } catch (Throwable e) {
            // Spark's job failures are checked exceptions thrown from Scala: catch everything.
            // Tasks of the failed job are being killed; let them stop before their staging is
            // deleted.
            waitForIdle(10_000);
            guard.abort();
            throw sneaky(e);
          }
        });
  }

  /**
   * A dry run: every check and the plan from one scan of the input, with the compute time estimated
   * from the kernel's measured speed; nothing is written or claimed.
   */
  DryRunPlan plan(double startSeconds) {
    return listening(
        () -> {
          checkAndPlan(false);
          return estimate(startSeconds);
        });
  }

  /** Runs {@code steps} with the progress listener on. */
  private <T> T listening(Supplier<T> steps) {
    spark.sparkContext().addSparkListener(listener);
    try {
      return steps.get();
    } finally {
      listener.done();
      spark.sparkContext().removeSparkListener(listener);
    }
  }

  /**
   * Every check and the plan: from the input's footers when its partitions can be the tasks as they
   * are or one partition holds every row, else from a checking scan of every row. A dry run ({@code
   * !run}) scans either way, for the bad rows and the exact costs of the tasks the run would have.
   */
  private void checkAndPlan(boolean run) {
    readInput();
    resolveLayout();
    openInput();
    boolean once = planFromFooters();
    if (once && run) {
      return;
    }
    scanInput();
    if (once) {
      // The dry run's costs are the scan's: in place, or the tasks the routing will fill.
      plan =
          plan.inPlace()
              ? CostPlan.inPlace(summaries)
              : CostPlan.plan(summaries, sc.defaultParallelism(), plan.tasks());
    } else {
      planTasks();
    }
  }

  /**
   * The dry run's plan: what the run would compute and write, and how long the kernel would take.
   */
  private DryRunPlan estimate(double startSeconds) {
    listener.phase("measuring the kernel's speed on this machine");
    long goodRows = sequences - badRows;
    long queryTokens = summaries.stream().mapToLong(PartitionSummary::queryTokens).sum();
    long mapCells = summaries.stream().mapToLong(PartitionSummary::mapCells).sum();
    int typicalLen = (int) Math.max(1, Math.min(1024, queryTokens / Math.max(1, goodRows)));
    AttentionWeights w = prepared.weights();
    double speed = KernelSpeed.gflopsPerCore(w, prepared.options(), typicalLen, typicalLen);
    double planned = plan.totalCost() / 1e9;
    int cores = Math.min(sc.defaultParallelism(), plan.tasks());
    double estimate = Math.max(planned / (speed * cores), plan.maxTaskCost() / 1e9 / speed);
    int heads = mapHeads().length;
    long mapBytes =
        switch (config.maps()) {
          case NONE -> 0;
          case MEAN -> 4 * mapCells;
          case HEADS -> 4 * mapCells * heads;
          // six values per query; four ints and a float per kept key (at most maps.topk)
          case SUMMARY -> 24 * queryTokens * heads;
          case TOPK -> 20 * queryTokens * heads * config.get(ConfigKeys.MAPS_TOPK);
        };
    return new DryRunPlan(
        "dry run",
        config.input(),
        prepared.output().targetPath(),
        prepared.maps() == null ? null : prepared.maps().targetPath(),
        prepared.badRows() == null ? null : prepared.badRows().targetPath(),
        config.mode().configName(),
        config.maps().configName(),
        sequences,
        badRows,
        plan.tasks(),
        plan.inPlace() ? "input partitions" : "cost plan",
        readOnce ? 1 : 2,
        cores,
        round(planned),
        round(plan.maxTaskCost() / 1e9),
        round(speed),
        round(estimate),
        4L * queryTokens * w.embedDim(),
        mapBytes,
        round(startSeconds + (System.nanoTime() - t0) / 1e9));
  }

  /** The input's schema: the union of its files' schemas. */
  private void readInput() {
    String format = config.get(ConfigKeys.INPUT_FORMAT).configName();
    listener.phase("reading the input schema");
    try {
      // A column that only some files have (a mask) is read, null in the rows of the others,
      // instead of being dropped by a schema taken from one file.
      // A path that exists is read as it is, glob characters and all (Spark's reader would take
      // "in[1]" as a pattern); only a path that does not exist is a pattern.
      df =
          spark
              .read()
              .format(format)
              .option("mergeSchema", "true")
              .option(GLOB_PATHS_OPTION, prepared.inputIsPattern())
              .load(config.input());
      schema = df.schema();
    } catch (Exception e) { // AnalysisException and SparkException are checked in Java
      throw UserErrors.inputNotReadable(
          config.input(), String.valueOf(format), InputScan.firstLine(e));
    }
  }

  /** The input's columns against the configuration and weights, the outputs against theirs. */
  private void resolveLayout() {
    new Preflight(config).requireConfiguredColumns(schema);
    InputLayout layout = inputLayout(schema, config, prepared.weights());
    codec = new SequenceCodec(layout);
    outputRows = new OutputRows(layout, config.maps());
    for (StructField f : layout.carriedFields()) {
      if (outputRows.mapColumns().stream().anyMatch(c -> c.equalsIgnoreCase(f.name()))) {
        throw UserErrors.carriedColumnCollides(f.name(), outputRows.mapColumns());
      }
    }
    if (prepared.badRows() != null
        && Arrays.stream(layout.carriedFields())
            .anyMatch(f -> f.name().equalsIgnoreCase(OutputRows.REASON))) {
      throw UserErrors.reasonColumnCollides();
    }
    // Before any stage: the datasets this run adds to must have its layout.
    List<String> partitionBy = config.partitionBy();
    DatasetLayouts.requireCompatible(
        spark, prepared.output(), outputRows.outputSchema(), partitionBy);
    if (prepared.maps() != null) {
      DatasetLayouts.requireCompatible(spark, prepared.maps(), outputRows.mapSchema(), partitionBy);
    }
    if (prepared.badRows() != null) {
      DatasetLayouts.requireCompatible(
          spark, prepared.badRows(), outputRows.badRowSchema(), partitionBy);
    }
  }

  /** Where the configured columns are in {@code schema}, checked against the weights. */
  static InputLayout inputLayout(StructType schema, JobConfig config, AttentionWeights w) {
    return InputLayout.resolve(
        schema,
        config.get(ConfigKeys.COLUMN_ID),
        config.get(ConfigKeys.COLUMN_X),
        config.get(ConfigKeys.COLUMN_QUERY),
        config.get(ConfigKeys.COLUMN_KEY),
        config.get(ConfigKeys.COLUMN_VALUE),
        config.get(ConfigKeys.COLUMN_KEY_PADDING_MASK),
        config.partitionBy(),
        w.embedDim(),
        w.kdim(),
        w.vdim());
  }

  /** The input's rows (read lazily) and the check every pass over them applies. */
  private void openInput() {
    AttentionWeights w = prepared.weights();
    // Only the dimensions travel to the tasks that check rows, not the kernel's weights.
    CostModel costModel = CostModel.of(w, prepared.options());
    Dataset<Row> frame = df;
    input =
        InputScan.withSqlConf(
            spark, InputScan.readSettings(spark), () -> SparkInternals.internalRows(frame));
    check = new RowCheck(codec, costModel, config.maps(), InputScan.maxMapRowBytes(spark));
  }

  /**
   * The input partitions as the tasks, planned from the Parquet footers' row counts and lengths,
   * when they are about as balanced as a cost plan would make them and {@code partitions} is not
   * set; or, when one partition holds every row (one file of one row group), the rows routed as
   * they are read ({@link CostPlan#asRead}). Either way the input is read once, its rows checked as
   * they are computed. False when a scan is needed (rows of several partitions must move, or the
   * footers cannot tell).
   */
  private boolean planFromFooters() {
    if (config.get(ConfigKeys.PARTITIONS) != null
        || config.get(ConfigKeys.INPUT_FORMAT) != InputFormat.PARQUET) {
      return false;
    }
    listener.phase("reading the input's footers");
    long t = System.nanoTime();
    List<PartitionSummary> estimated =
        FooterCosts.estimate(
            sc,
            input,
            spark.sessionState().newHadoopConf(),
            codec.layout().queryColumn(),
            codec.layout().keyColumn(),
            check.costModel(),
            config.maps() == MapsSetting.HEADS);
    readSeconds += (System.nanoTime() - t) / 1e9;
    if (estimated == null || estimated.isEmpty()) {
      return false;
    }
    CostPlan chosen = CostPlan.choose(estimated, sc.defaultParallelism(), null);
    if (!chosen.inPlace()) {
      if (estimated.stream().filter(p -> p.rows() > 0).count() != 1) {
        return false;
      }
      // One partition holds every row: they must move, and as they are read is as good a time.
      chosen = CostPlan.asRead(chosen.tasks(), chosen.totalCost());
    }
    plan = chosen;
    readOnce = true;
    return true;
  }

  /** Step 1: one scan of the input, every row checked, every good row's cost. */
  private void scanInput() {
    listener.phase("reading and checking the input");
    long tRead = System.nanoTime();
    RowCheck rowCheck = check;
    summaries =
        new ArrayList<>(
            input
                .mapPartitionsWithIndex(
                    (idx, rows) -> List.of(InputScan.scan(idx, rows, rowCheck)).iterator(), true)
                .collect());
    summaries.sort(Comparator.comparingInt(PartitionSummary::partition));
    readSeconds += (System.nanoTime() - tRead) / 1e9;
    for (PartitionSummary s : summaries) {
      sequences += s.rows();
      badRows += s.badRows();
      for (String[] row : s.firstBad()) {
        if (firstBad.size() < PartitionSummary.FIRST_BAD_ROWS) {
          firstBad.add(row);
        }
      }
    }
    if (!firstBad.isEmpty() && prepared.badRows() == null) {
      String[] first = firstBad.get(0);
      throw UserErrors.badRows(first[0], first[1], badRows);
    }
    requireBadRowsWithinLimit();
  }

  /** With quarantine and bad.rows.max, fails the run when more rows are bad than it allows. */
  private void requireBadRowsWithinLimit() {
    BadRowsLimit limit = config.get(ConfigKeys.BAD_ROWS_MAX);
    if (limit != null && badRows > limit.allowed(sequences)) {
      throw UserErrors.tooManyBadRows(badRows, sequences, limit.describe(), firstBad);
    }
  }

  /** Step 2: tasks balanced by cost. */
  private void planTasks() {
    Integer userTasks = config.get(ConfigKeys.PARTITIONS);
    long goodRows = sequences - badRows;
    if (userTasks != null && userTasks > Math.max(1, goodRows)) {
      // A task per row at most: more would be empty tasks, each with its own start and file.
      int capped = (int) Math.max(1, goodRows);
      note(
          "partitions = "
              + userTasks
              + " is more than the "
              + goodRows
              + " row(s) to compute; ran "
              + capped
              + " task(s)");
      userTasks = capped;
    }
    plan = CostPlan.choose(summaries, sc.defaultParallelism(), userTasks);
    broadcastPlan = sc.broadcast(plan);
  }

  /** Step 3: compute once, write every dataset to staging. */
  private void computeAndWrite() {
    Broadcast<AttentionWeights> weights = sc.broadcast(prepared.weights());
    metrics = new JobMetrics(spark.sparkContext());
    boolean quarantine = prepared.badRows() != null;
    AttentionTask task =
        new AttentionTask(
            weights,
            prepared.options(),
            codec,
            outputRows,
            config.maps(),
            mapHeads(),
            config.get(ConfigKeys.MAPS_TOPK),
            quarantine,
            readOnce ? check : null,
            metrics);
    JavaRDD<InternalRow> computed = routedRows().mapPartitions(task);

    long tRun = System.nanoTime();
    DoubleAccumulator flops = metrics.flops;
    listener.expectWork(plan.totalCost(), flops::value);
    if (readOnce) {
      computeCheckingRows(computed, quarantine);
    } else {
      writeComputed(computed, quarantine);
      if (quarantine) {
        writeBadRows();
      }
    }
    listener.expectWork(0, null);
    writeEmptyDatasets();
    badRows += metrics.overflowRows.value();
    requireBadRowsWithinLimit(); // overflowing rows count too; the staging is then discarded
    if (metrics.sequences.value() == 0) {
      note(
          sequences == 0
              ? "the input has no rows: empty datasets were written"
              : "no row could be computed: the output is empty");
    }
    runSeconds = (System.nanoTime() - tRun) / 1e9;
  }

  /**
   * The compute stage of a run that reads the input once: its tasks check the rows. Without
   * quarantine the first task that meets a bad row computes no more and, at its end, the stage is
   * cancelled; the run fails naming the rows found so far. The plan's costs become the tasks'.
   */
  private void computeCheckingRows(JavaRDD<InternalRow> computed, boolean quarantine) {
    LongAccumulator bad = metrics.badInputRows;
    if (!quarantine) {
      listener.cancelStageWhen(() -> bad.value() > 0);
    }
    boolean stopped = false;
    try {
      writeComputed(computed, quarantine);
    } catch (Throwable e) {
      if (quarantine || bad.value() == 0) {
        throw sneaky(e);
      }
      stopped = true; // cancelled after a bad row: the rest of the input was not read
    } finally {
      listener.cancelStageWhen(null);
    }
    sequences = metrics.inputRows.value();
    badRows = bad.value();
    firstBad.addAll(metrics.firstBadRows(PartitionSummary.FIRST_BAD_ROWS));
    if (badRows > 0 && !quarantine) {
      String[] first = firstBad.get(0);
      throw stopped
          ? UserErrors.badRowsBeforeStop(first[0], first[1], badRows)
          : UserErrors.badRows(first[0], first[1], badRows);
    }
    if (quarantine) {
      prepared.badRows().takeFiles(prepared.output(), MatrixParquetFormat.BAD_ROWS_PREFIX);
    }
    plan = plan.withTaskCosts(metrics.taskFlops(plan.tasks()));
  }

  /** maps.heads, or every head. */
  private int[] mapHeads() {
    List<Integer> chosen = config.get(ConfigKeys.MAPS_HEADS);
    return chosen == null
        ? IntStream.range(0, prepared.options().numHeads()).toArray()
        : chosen.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * The input's rows in their tasks: where they are when the plan keeps them, else shuffled and
   * sorted by their place in the input ({@link RowOrder}), so that a task's files are the same in
   * every run.
   */
  private JavaRDD<InternalRow> routedRows() {
    RowCheck rowCheck = check;
    if (plan.routedAsRead()) {
      CostPlan asRead = plan;
      StructType inputSchema = schema;
      return RowRouting.toTasks(
          JavaPairRDD.fromJavaRDD(
              input.mapPartitionsWithIndex(
                  (idx, rows) ->
                      RowRouting.asRead(rows, idx, asRead.router(idx), rowCheck, inputSchema),
                  true)),
          plan.tasks());
    }
    if (readOnce) {
      return input; // checked by the compute tasks
    }
    if (plan.inPlace()) {
      return input.mapPartitions(rows -> RowRouting.inPlace(rows, rowCheck), true);
    }
    Broadcast<CostPlan> tasks = broadcastPlan;
    StructType inputSchema = schema;
    return RowRouting.toTasks(
        JavaPairRDD.fromJavaRDD(
            input.mapPartitionsWithIndex(
                (idx, rows) ->
                    RowRouting.assign(rows, idx, tasks.value().router(idx), rowCheck, inputSchema),
                true)),
        plan.tasks());
  }

  /** Runs the compute stage, which writes the outputs (and the maps and overflowed rows). */
  private void writeComputed(JavaRDD<InternalRow> computed, boolean quarantine) {
    String[] partitionBy = config.partitionBy().toArray(new String[0]);
    boolean maps = config.maps() != MapsSetting.NONE;
    runPhase(
        maps
            ? "computing attention and maps, writing outputs and maps"
            : "computing attention and writing outputs");
    if (!maps && !quarantine) {
      write(computed, outputRows.outputSchema(), prepared.output(), partitionBy, false, fileToken);
      return;
    }
    // Each task writes its outputs, maps and overflowed rows as they are computed, each kind to
    // its own file, committed together by Spark's commit protocol; the map and bad-row files then
    // move to their datasets' staging.
    write(
        computed,
        outputRows.computedSchema(maps, quarantine),
        prepared.output(),
        partitionBy,
        true,
        fileToken);
    if (maps) {
      prepared.maps().takeFiles(prepared.output(), MatrixParquetFormat.MAPS_PREFIX);
    }
  }

  /** The rows the checking scan found bad, with their reasons, to bad.rows.output. */
  private void writeBadRows() {
    runPhase("writing bad rows");
    RowCheck rowCheck = check;
    OutputRows rows = outputRows;
    JavaRDD<InternalRow> bad =
        input.mapPartitions(it -> RowRouting.badRows(it, rowCheck, rows), true);
    write(
        bad,
        outputRows.badRowSchema(),
        prepared.badRows(),
        config.partitionBy().toArray(new String[0]),
        false,
        fileToken + "-bad");
    prepared.badRows().takeFiles(prepared.output(), MatrixParquetFormat.BAD_ROWS_PREFIX);
  }

  /** A dataset without rows still gets a file: readers need its schema. */
  private void writeEmptyDatasets() {
    List<String> partitions = config.partitionBy();
    DatasetLayouts.writeEmptyWhereNeeded(
        spark, prepared.output(), outputRows.outputSchema(), partitions, fileToken);
    if (prepared.maps() != null) {
      DatasetLayouts.writeEmptyWhereNeeded(
          spark, prepared.maps(), outputRows.mapSchema(), partitions, fileToken);
    }
    if (prepared.badRows() != null) {
      DatasetLayouts.writeEmptyWhereNeeded(
          spark, prepared.badRows(), outputRows.badRowSchema(), partitions, fileToken);
    }
  }

  /** Step 4: what the run did, its time split by the kernel's share of its tasks' time. */
  private RunSummary summarise(double startSeconds) {
    double flops = metrics.flops.value();
    double decode = metrics.decodeNanos.value() / 1e9;
    double compute = metrics.computeNanos.value() / 1e9;
    double encode = metrics.encodeNanos.value() / 1e9;
    double taskTotal = Math.max(listener.taskRunSeconds(), decode + compute + encode);
    double runTasks = Math.max(listener.taskRunSeconds(runPhases), decode + compute + encode);
    double computeWall = runTasks > 0 ? runSeconds * compute / runTasks : 0;
    String[] kernelOnExecutors = kernelOnExecutors();
    return new RunSummary(
        "succeeded",
        sequences,
        metrics.sequences.value(),
        metrics.mapRows.value(),
        badRows,
        metrics.fullyMaskedQueries.value(),
        plan.tasks(),
        readOnce ? 1 : 2,
        new RunSummary.TaskCostBalance(
            round(plan.maxTaskCost() / 1e9),
            round(plan.meanTaskCost() / 1e9),
            round(plan.balance()),
            CostPlan.BALANCE_GOAL,
            plan.inPlace() ? "input partitions" : "cost plan"),
        listener.executors().size(),
        listener.failedTasks(),
        round(startSeconds + (System.nanoTime() - t0) / 1e9),
        new RunSummary.WallSplit(
            round(startSeconds),
            round(readSeconds),
            round(computeWall),
            round(runSeconds - computeWall)),
        new RunSummary.TaskSeconds(round(decode), round(compute), round(encode), round(taskTotal)),
        RunSummary.TaskMicrosPerRow.of(compute, taskTotal, sequences),
        round(flops / 1e9),
        round(flops / 1e9 / Math.max(runSeconds, 1e-9)),
        round(flops / 1e9 / Math.max(compute, 1e-9)),
        kernelOnExecutors[0],
        kernelOnExecutors[1],
        config.maps().configName(),
        config.mode().configName(),
        List.copyOf(notes),
        prepared.output().targetPath(),
        prepared.maps() == null ? null : prepared.maps().targetPath(),
        prepared.badRows() == null ? null : prepared.badRows().targetPath(),
        provenance());
  }

  private RunSummary.Provenance provenance() {
    return new RunSummary.Provenance(
        prepared.inputPath(),
        prepared.weightsPath(),
        prepared.weightsSha256(),
        new TreeMap<>(config.asMap()),
        BuildInfo.version(),
        BuildInfo.commit(),
        BuildInfo.builtAgainstSpark(),
        spark.version(),
        BuildInfo.scalaVersion(),
        BuildInfo.javaVersion(),
        sc.master(),
        sc.sc().applicationId(),
        Runtime.getRuntime().maxMemory(),
        driverJvmOptions(),
        RunSummary.utc(started),
        RunSummary.utc(Instant.now()));
  }

  /**
   * The driver JVM's {@code -X} and {@code -XX:} options (heap, JIT, GC: what can change its
   * speed), without the module and reflection flags every run has.
   */
  private static List<String> driverJvmOptions() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("-X"))
        .toList();
  }

  /** A note for the summary and stderr: what the run adjusted or found. */
  private void note(String note) {
    notes.add(note);
    log.println("note: " + note);
  }

  /** Starts a phase of step 3, whose tasks' time the summary's split divides. */
  private void runPhase(String name) {
    listener.phase(name);
    runPhases.add(name);
  }

  /**
   * Writes {@code rows} to the target's staging; {@code outputAndMaps}: they are {@link
   * OutputRows#computedSchema} rows (see {@link MatrixParquetFormat#OUTPUT_AND_MAPS}); the files
   * are named with {@code fileToken} ({@link FileNames}).
   */
  private void write(
      JavaRDD<InternalRow> rows,
      StructType rowSchema,
      StagedDataset target,
      String[] partitionBy,
      boolean outputAndMaps,
      String fileToken) {
    Dataset<Row> frame = SparkInternals.createDataFrame(spark, rows.rdd(), rowSchema);
    // Float matrices are written a page at a time (README, "Parquet layout").
    FileNames.save(
        spark,
        frame
            .write()
            .mode(SaveMode.ErrorIfExists)
            .format(MatrixParquetFormat.class.getName())
            .option(MatrixParquetFormat.OUTPUT_AND_MAPS, outputAndMaps)
            .option(MatrixParquetFormat.MAP_COLUMNS, String.join(",", outputRows.mapColumns()))
            .partitionBy(partitionBy),
        fileToken,
        target.stagingPath());
  }

  /**
   * How the executors run the kernel's products and exp, asked of one task (the driver's JVM flags
   * may differ).
   */
  private String[] kernelOnExecutors() {
    return sc.parallelize(List.of(0), 1)
        .map(
            x ->
                new String[] {
                  BlockedAttentionKernel.productImplementation(),
                  BlockedAttentionKernel.expImplementation()
                })
        .first();
  }

  private void waitForIdle(long millis) {
    long deadline = System.currentTimeMillis() + millis;
    try {
      while (spark.sparkContext().statusTracker().getActiveStageIds().length > 0
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
    throw (E) e;
  }
}
