package org.sparkattention.job;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.sparkattention.config.JobConfig;
import org.sparkattention.errors.AttentionException;
import scala.Tuple2;

/**
 * The attention job's entry point: {@link #main} parses the configuration, checks everything that
 * can be checked before Spark starts ({@link Preflight}), runs the steps ({@link AttentionRun})
 * under a {@link RunGuard}, prints the summary or one {@code error:} line, and stops.
 */
public final class AttentionJob {
  /** The summary file written inside the output dataset. */
  public static final String SUMMARY_FILE = "_attention_summary.json";

  private AttentionJob() {}

  public static void main(String[] args) {
    int code = runMain(args, System.out, System.err);
    // Success returns instead: in YARN's application master (cluster deploy mode) a System.exit,
    // even exit(0), reports the application as failed.
    if (code != 0) {
      System.exit(code);
    }
  }

  /** main without the exit: returns the process exit code. */
  public static int runMain(String[] args, PrintStream out, PrintStream err) {
    List<String> rest = new ArrayList<>(List.of(args));
    if (rest.size() == 1 && List.of("--help", "-h").contains(rest.get(0))) {
      out.print(JobConfig.help() + HELP_TAIL);
      return 0;
    }
    if (rest.size() == 1 && rest.get(0).equals("--version")) {
      out.print(BuildInfo.versionText());
      return 0;
    }
    boolean dryRun = rest.remove("--dry-run");
    Instant started = Instant.now();
    SparkSession spark = null;
    // A session that already exists (an embedding application, a test) is not ours to stop.
    boolean ownSession = SparkSession.getDefaultSession().isEmpty();
    RunGuard guard = RunGuard.install(out, err, started);
    try {
      long t0 = System.nanoTime();
      RuntimeSupport.requireSupported();
      Map<String, String> sparkConf = new LinkedHashMap<>();
      for (Tuple2<String, String> e : new SparkConf().getAll()) {
        sparkConf.put(e._1(), e._2());
      }
      JobConfig config = JobConfig.load(rest.toArray(new String[0]), sparkConf);
      Configuration hadoopConf =
          SparkSession.getDefaultSession().isDefined()
              ? SparkSession.getDefaultSession().get().sparkContext().hadoopConfiguration()
              : Preflight.hadoopConfiguration(sparkConf);
      Preflight.Prepared prepared = new Preflight(config).prepare(hadoopConf, guard, dryRun);
      SparkSession.Builder builder = SparkSession.builder().appName("spark-attention");
      if (!sparkConf.containsKey("spark.shuffle.compress")) {
        // Shuffled rows are float vectors that do not compress: skip the CPU, unless told.
        builder.config("spark.shuffle.compress", "false");
      }
      spark = builder.getOrCreate();
      double startSeconds = (System.nanoTime() - t0) / 1e9;
      AttentionRun run = new AttentionRun(config, err, spark, prepared, guard, started);
      out.println(dryRun ? run.plan(startSeconds).toJson() : run.execute(startSeconds).toJson());
      return 0;
    } catch (Throwable t) {
      guard.abort();
      if (guard.interrupted()) {
        return guard.exitCode(); // the signal handler has said so and is ending the process
      }
      AttentionException user = userError(t);
      if (user != null) {
        String message = oneLine(user.getMessage());
        err.println("error: " + message);
        int code = user.kind().exitCode();
        out.println(
            RunSummary.Failure.of(
                    code, user.kind().name().toLowerCase(Locale.ROOT), message, started)
                .toJson());
        return code;
      }
      err.println("error: internal failure (a bug in spark-attention or Spark; please report it):");
      t.printStackTrace(err);
      out.println(
          RunSummary.Failure.of(1, "internal", oneLine(String.valueOf(t)), started).toJson());
      return 1;
    } finally {
      guard.close();
      if (spark != null && ownSession && !guard.interrupted()) {
        spark.stop();
      }
    }
  }

  /** What --help adds to the keys: the options that are not keys, exit codes, paths. */
  private static final String HELP_TAIL =
      """
      Options:
        --config FILE              a properties file of KEY = VALUE lines (UTF-8); given once
        --dry-run                  check everything and plan from a scan of the input; print the
                                   plan as JSON and write nothing
        --version                  this build, the Spark, Scala, Java and BLAS it runs on
        --help                     this text
      Exit codes: 0 done, 1 internal failure, 2 configuration, 3 weights, 4 input, 5 output,
      130/143 interrupted (SIGINT/SIGTERM). The last stdout line is a JSON summary, also on
      failure (status "failed").
      Relative paths are resolved against the directory the job is started from.
      """;

  /** A message as one line: an {@code error:} line never breaks. */
  static String oneLine(String message) {
    return String.valueOf(message).replace("\r", " ").replace("\n", " ");
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
}
