package org.sparkattention.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;
import org.sparkattention.commit.StagedDataset;
import org.sparkattention.config.ConfigKeys;
import org.sparkattention.config.JobConfig;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.io.InputLayout;
import org.sparkattention.io.MatrixParquetFormat;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.SequenceCodec;
import org.sparkattention.kernel.BlockedAttentionKernel;
import org.sparkattention.kernel.MapMode;
import org.sparkattention.model.AttentionWeights;
import scala.Tuple2;

/**
 * The attention job: validate everything on the driver, scan the input once for lengths and bad
 * rows, plan tasks by cost, compute each sequence once, write outputs (and maps, bad rows) to
 * staging, commit, summarise. {@link #main} parses, runs, stops.
 */
public final class AttentionJob {
  /** The summary file written inside the output dataset. */
  public static final String SUMMARY_FILE = "_attention_summary.json";

  private final JobConfig config;
  private final PrintStream log;

  public AttentionJob(JobConfig config, PrintStream log) {
    this.config = config;
    this.log = log;
  }

  public static void main(String[] args) {
    int code = runMain(args, System.out, System.err);
    System.exit(code);
  }

  /** main without the exit: returns the process exit code. */
  public static int runMain(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      out.print(JobConfig.help());
      return 0;
    }
    SparkSession spark = null;
    // A session that already exists (an embedding application, a test) is not ours to stop.
    boolean ownSession = SparkSession.getDefaultSession().isEmpty();
    RunGuard guard = RunGuard.install(err);
    try {
      long t0 = System.nanoTime();
      Map<String, String> sparkConf = new LinkedHashMap<>();
      for (Tuple2<String, String> e : new SparkConf().getAll()) {
        sparkConf.put(e._1(), e._2());
      }
      JobConfig config = JobConfig.load(args, sparkConf);
      AttentionJob job = new AttentionJob(config, err);
      Configuration hadoopConf =
          SparkSession.getDefaultSession().isDefined()
              ? SparkSession.getDefaultSession().get().sparkContext().hadoopConfiguration()
              : Preflight.hadoopConfiguration(sparkConf);
      Preflight.Prepared prepared = new Preflight(config).prepare(hadoopConf, guard);
      SparkSession.Builder builder = SparkSession.builder().appName("spark-attention");
      if (!sparkConf.containsKey("spark.shuffle.compress")) {
        // Shuffled rows are float vectors that do not compress: skip the CPU, unless told.
        builder.config("spark.shuffle.compress", "false");
      }
      spark = builder.getOrCreate();
      double startSeconds = (System.nanoTime() - t0) / 1e9;
      Map<String, Object> summary = job.run(spark, prepared, startSeconds, guard);
      out.println(new ObjectMapper().writeValueAsString(summary));
      return 0;
    } catch (Throwable t) {
      guard.abort();
      if (guard.interrupted()) {
        return guard.exitCode(); // the signal handler has said so and is ending the process
      }
      AttentionException user = userError(t);
      if (user != null) {
        err.println("error: " + user.getMessage().replace("\r", " ").replace("\n", " "));
        return user.kind().exitCode();
      }
      err.println("error: internal failure (a bug in spark-attention or Spark; please report it):");
      t.printStackTrace(err);
      return 1;
    } finally {
      guard.close();
      if (spark != null && ownSession && !guard.interrupted()) {
        spark.stop();
      }
    }
  }

  /** The user-facing error in {@code t}'s cause chain (Spark wraps task failures), if any. */
  static AttentionException userError(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof AttentionException a) {
        return a;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  /**
   * Runs the job on {@code spark} and returns the summary (also written to the output dataset).
   *
   * @param startSeconds time already spent before the session existed (JVM and Spark start)
   */
  public Map<String, Object> run(
      SparkSession spark, Preflight.Prepared p, double startSeconds, RunGuard guard) {
    long t0 = System.nanoTime();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<String> notes = new ArrayList<>();
    JobListener listener = new JobListener(spark.sparkContext(), log);
    spark.sparkContext().addSparkListener(listener);
    try {
      Dataset<Row> df;
      StructType schema;
      String format = config.get(ConfigKeys.INPUT_FORMAT);
      try {
        // The union of the files' schemas: a column that only some files have (a mask) is read,
        // null in the rows of the others, instead of being dropped by a schema taken from one file.
        df = spark.read().format(format).option("mergeSchema", "true").load(config.input());
        schema = df.schema();
      } catch (Exception e) { // AnalysisException and SparkException are checked in Java
        throw AttentionException.input(
            "cannot read input '"
                + config.input()
                + "' as "
                + format
                + ": "
                + InputScan.firstLine(e)
                + ". Check input.format, and that the files are not corrupt.");
      }
      AttentionWeights w = p.weights();
      new Preflight(config).requireConfiguredColumns(schema);
      InputLayout layout =
          InputLayout.resolve(
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
      SequenceCodec codec = new SequenceCodec(layout);
      OutputRows outputRows = new OutputRows(layout);
      if (p.badRows() != null
          && java.util.Arrays.stream(layout.carriedFields())
              .anyMatch(f -> f.name().equalsIgnoreCase(OutputRows.REASON))) {
        throw AttentionException.input(
            "input column 'reason' would be carried into bad.rows.output, which adds a 'reason'"
                + " column (column names compare without case). Rename it, or use"
                + " bad.rows=fail.");
      }
      MapMode mapMode =
          switch (config.maps()) {
            case "heads" -> MapMode.HEADS;
            case "mean" -> MapMode.MEAN;
            default -> null;
          };
      // Before any stage: the datasets this run adds to must have its layout.
      DatasetLayouts.requireCompatible(
          spark, p.output(), outputRows.outputSchema(), config.partitionBy());
      if (p.maps() != null) {
        DatasetLayouts.requireCompatible(
            spark, p.maps(), outputRows.mapSchema(), config.partitionBy());
      }
      if (p.badRows() != null) {
        DatasetLayouts.requireCompatible(
            spark, p.badRows(), outputRows.badRowSchema(), config.partitionBy());
      }
      // Only the dimensions travel to the scan tasks, not the kernel's weights.
      CostModel costModel =
          new CostModel(
              w.embedDim(),
              w.kdim(),
              w.vdim(),
              BlockedAttentionKernel.extraKeys(w.hasBiasKv(), p.options().addZeroAttn()),
              p.options().causal());
      long maxMapBytes = InputScan.maxMapRowBytes(spark);

      // 1. One scan of the input: every row checked, every good row's cost.
      listener.phase("reading and checking the input");
      long tPlan = System.nanoTime();
      JavaRDD<InternalRow> input =
          InputScan.withSqlConf(
              spark, InputScan.readSettings(spark), () -> InputScan.internalRows(df));
      boolean withMaps = mapMode != null;
      List<InputScan.PartitionScan> scans =
          input
              .mapPartitionsWithIndex(
                  (idx, rows) ->
                      List.of(InputScan.scan(idx, rows, codec, costModel, withMaps, maxMapBytes))
                          .iterator(),
                  true)
              .collect();
      double planSeconds = (System.nanoTime() - tPlan) / 1e9;
      double[][] costs = new double[scans.size()][];
      long badCount = 0;
      String[] firstBad = null;
      long sequences = 0;
      for (InputScan.PartitionScan s : scans) {
        costs[s.partition()] = s.costs();
        badCount += s.badRows().size();
        if (firstBad == null && !s.badRows().isEmpty()) {
          firstBad = s.badRows().get(0);
        }
        sequences += s.costs().length;
      }
      if (firstBad != null && p.badRows() == null) {
        throw AttentionException.input(
            "input row with id "
                + firstBad[0]
                + " is bad: "
                + firstBad[1]
                + ". "
                + badCount
                + " bad row(s) in all; nothing was written. Fix the input, or set"
                + " bad.rows=quarantine and bad.rows.output to set bad rows aside.");
      }

      // 2. Tasks balanced by cost.
      Integer userTasks = config.get(ConfigKeys.PARTITIONS);
      long goodRows = sequences - badCount;
      if (userTasks != null && userTasks > Math.max(1, goodRows)) {
        // A task per row at most: more would be empty tasks, each with its own start and file.
        int capped = (int) Math.max(1, goodRows);
        notes.add(
            "partitions = "
                + userTasks
                + " is more than the "
                + goodRows
                + " row(s) to compute; ran "
                + capped
                + " task(s)");
        log.println("note: " + notes.get(notes.size() - 1));
        userTasks = capped;
      }
      CostPlan plan = CostPlan.choose(costs, sc.defaultParallelism(), userTasks);
      Broadcast<int[][]> assignment = sc.broadcast(plan.assignment());
      Broadcast<AttentionWeights> weights = sc.broadcast(w);
      JobMetrics metrics = new JobMetrics(spark.sparkContext());
      int tasks = plan.tasks();
      JavaRDD<InternalRow> balanced =
          plan.inPlace()
              ? input.mapPartitionsWithIndex(
                  (idx, rows) -> RowRouting.inPlace(rows, assignment.value()[idx]), true)
              : JavaPairRDD.fromJavaRDD(
                      input.mapPartitionsWithIndex(
                          (idx, rows) -> RowRouting.assign(rows, assignment.value()[idx], schema),
                          true))
                  .partitionBy(new TaskPartitioner(tasks))
                  .values();
      boolean quarantine = p.badRows() != null;
      AttentionTask task =
          new AttentionTask(weights, p.options(), codec, outputRows, mapMode, quarantine, metrics);
      JavaRDD<InternalRow> computed = balanced.mapPartitions(task);

      // 3. Compute once and write everything to staging.
      long tRun = System.nanoTime();
      List<String> runPhases = new ArrayList<>();
      String[] partitionBy = config.partitionBy().toArray(new String[0]);
      if (mapMode == null && !quarantine) {
        runPhase(listener, runPhases, "computing attention and writing outputs");
        write(spark, computed, outputRows.outputSchema(), p.output(), partitionBy, false);
      } else {
        // Each task writes its outputs, maps and overflowed rows as they are computed, each kind
        // to its own file, committed together by Spark's commit protocol; the map and bad-row
        // files then move to their datasets' staging.
        runPhase(
            listener,
            runPhases,
            mapMode == null
                ? "computing attention and writing outputs"
                : "computing attention and maps, writing outputs and maps");
        write(
            spark,
            computed,
            outputRows.computedSchema(mapMode != null, quarantine),
            p.output(),
            partitionBy,
            true);
        if (mapMode != null) {
          p.maps().takeFiles(p.output(), MatrixParquetFormat.MAPS_PREFIX);
        }
      }
      if (quarantine) {
        runPhase(listener, runPhases, "writing bad rows");
        JavaRDD<InternalRow> bad =
            input.mapPartitionsWithIndex(
                (idx, rows) -> RowRouting.badRows(rows, assignment.value()[idx], codec, outputRows),
                true);
        write(spark, bad, outputRows.badRowSchema(), p.badRows(), partitionBy, false);
        p.badRows().takeFiles(p.output(), MatrixParquetFormat.BAD_ROWS_PREFIX);
      }
      // A dataset without rows still gets a file: readers need its schema.
      DatasetLayouts.writeEmptyWhereNeeded(
          spark, p.output(), outputRows.outputSchema(), config.partitionBy());
      if (p.maps() != null) {
        DatasetLayouts.writeEmptyWhereNeeded(
            spark, p.maps(), outputRows.mapSchema(), config.partitionBy());
      }
      if (quarantine) {
        DatasetLayouts.writeEmptyWhereNeeded(
            spark, p.badRows(), outputRows.badRowSchema(), config.partitionBy());
      }
      long overflowed = metrics.overflowRows.value();
      badCount += overflowed;
      if (metrics.sequences.value() == 0) {
        notes.add(
            sequences == 0
                ? "the input has no rows: empty datasets were written"
                : "no row could be computed: the output is empty");
        log.println("note: " + notes.get(notes.size() - 1));
      }
      double runSeconds = (System.nanoTime() - tRun) / 1e9;

      // 4. Summary, then commit: everything moves into place only now.
      listener.phase("committing");
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("status", "succeeded");
      summary.put("sequences", sequences);
      summary.put("rows_written", metrics.sequences.value());
      summary.put("map_rows_written", metrics.mapRows.value());
      summary.put("bad_rows", badCount);
      summary.put("fully_masked_queries", metrics.fullyMaskedQueries.value());
      summary.put("tasks", tasks);
      Map<String, Object> balance = new LinkedHashMap<>();
      balance.put("max_task_gflop", round(plan.maxTaskCost() / 1e9));
      balance.put("mean_task_gflop", round(plan.meanTaskCost() / 1e9));
      balance.put("max_over_mean", round(plan.balance()));
      balance.put("goal", CostPlan.BALANCE_GOAL);
      balance.put("tasks_are", plan.inPlace() ? "input partitions" : "cost plan");
      summary.put("task_cost_balance", balance);
      summary.put("executors", listener.executors().size());
      summary.put("failed_task_attempts", listener.failedTasks());
      double flops = metrics.flops.value();
      double decode = metrics.decodeNanos.value() / 1e9;
      double compute = metrics.computeNanos.value() / 1e9;
      double encode = metrics.encodeNanos.value() / 1e9;
      double taskTotal = Math.max(listener.taskRunSeconds(), decode + compute + encode);
      // The run's wall time splits by the share of its own tasks' time spent in the kernel.
      double runTasks = Math.max(listener.taskRunSeconds(runPhases), decode + compute + encode);
      Map<String, Object> taskSeconds = new LinkedHashMap<>();
      taskSeconds.put("decode", round(decode));
      taskSeconds.put("compute", round(compute));
      taskSeconds.put("encode", round(encode));
      taskSeconds.put("all_tasks", round(taskTotal));
      double computeWall = runTasks > 0 ? runSeconds * compute / runTasks : 0;
      Map<String, Object> wall = new LinkedHashMap<>();
      wall.put("spark_start", round(startSeconds));
      wall.put("read", round(planSeconds));
      wall.put("compute", round(computeWall));
      wall.put("write", round(runSeconds - computeWall));
      summary.put("wall_seconds", round(startSeconds + (System.nanoTime() - t0) / 1e9));
      summary.put("wall_split_seconds", wall);
      summary.put("task_seconds", taskSeconds);
      summary.put("attention_gflop", round(flops / 1e9));
      summary.put("attention_gflops_per_second", round(flops / 1e9 / Math.max(runSeconds, 1e-9)));
      summary.put("kernel_gflops_per_core_second", round(flops / 1e9 / Math.max(compute, 1e-9)));
      summary.put("blas", blasOnExecutors(sc));
      summary.put("exp", BlockedAttentionKernel.expImplementation());
      summary.put("maps", config.maps());
      summary.put("mode", config.mode());
      summary.put("notes", notes);
      summary.put("output", p.output().targetPath());
      if (p.maps() != null) {
        summary.put("maps_output", p.maps().targetPath());
      }
      if (p.badRows() != null) {
        summary.put("bad_rows_output", p.badRows().targetPath());
      }
      // The summary travels with the output's data: the commit puts both in place at once.
      p.output().writeStagedFile(SUMMARY_FILE, summaryJson(summary));
      guard.commit(p.datasets());
      return summary;
    } catch (Throwable e) {
      // Spark's job failures are checked exceptions thrown from Scala: catch everything. Tasks
      // of the failed job are being killed; let them stop before their staging is deleted.
      waitForIdle(spark, 10_000);
      guard.abort();
      throw sneaky(e);
    } finally {
      listener.done();
      spark.sparkContext().removeSparkListener(listener);
    }
  }

  /** Starts a phase of the run (step 3), whose tasks' time the summary's split divides. */
  private static void runPhase(JobListener listener, List<String> runPhases, String name) {
    listener.phase(name);
    runPhases.add(name);
  }

  private static void waitForIdle(SparkSession spark, long millis) {
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

  /**
   * Writes {@code rows} to the target's staging; {@code outputAndMaps}: they are {@link
   * OutputRows#outputAndMapSchema} rows (see {@link MatrixParquetFormat#OUTPUT_AND_MAPS}).
   */
  private static void write(
      SparkSession spark,
      JavaRDD<InternalRow> rows,
      StructType schema,
      StagedDataset target,
      String[] partitionBy,
      boolean outputAndMaps) {
    Dataset<Row> df =
        ((org.apache.spark.sql.classic.SparkSession) spark)
            .internalCreateDataFrame(rows.rdd(), schema, false);
    // Float matrices are written a page at a time (README, "Parquet layout").
    df.write()
        .mode(SaveMode.ErrorIfExists)
        .format(MatrixParquetFormat.class.getName())
        .option(MatrixParquetFormat.OUTPUT_AND_MAPS, outputAndMaps)
        .partitionBy(partitionBy)
        .save(target.stagingPath());
  }

  private static byte[] summaryJson(Map<String, Object> summary) {
    try {
      return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(summary);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("writing " + SUMMARY_FILE, e);
    }
  }

  /** The BLAS the executors use, asked of one task (the driver's may differ). */
  private static String blasOnExecutors(JavaSparkContext sc) {
    return sc.parallelize(List.of(0), 1)
        .map(x -> BlockedAttentionKernel.blasImplementation())
        .first();
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
