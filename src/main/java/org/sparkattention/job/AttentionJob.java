package org.sparkattention.job;

import java.io.PrintStream;
import java.util.LinkedHashMap;
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
      RuntimeSupport.requireSupported();
      Map<String, String> sparkConf = new LinkedHashMap<>();
      for (Tuple2<String, String> e : new SparkConf().getAll()) {
        sparkConf.put(e._1(), e._2());
      }
      JobConfig config = JobConfig.load(args, sparkConf);
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
      RunSummary summary =
          new AttentionRun(config, err, spark, prepared, guard).execute(startSeconds);
      out.println(summary.toJson());
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
}
