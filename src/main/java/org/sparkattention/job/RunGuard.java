package org.sparkattention.job;

import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.sql.SparkSession;
import org.sparkattention.commit.DatasetPaths;
import org.sparkattention.commit.RunCommit;
import org.sparkattention.commit.RunOwner;
import org.sparkattention.commit.StagedDataset;
import org.sparkattention.config.WriteMode;

/**
 * One run's hold on its datasets: it claims their paths ({@link StagedDataset#prepare}), keeps its
 * owner files fresh (a heartbeat for other hosts), commits them all at once, and removes its
 * staging however the run ends: failure, SIGTERM (a scheduler's timeout), SIGINT (Ctrl-C) or any
 * other shutdown. On a signal it prints one {@code error: interrupted ...} line and the process
 * exits with 128 + the signal number (143, 130), after Spark has stopped its tasks.
 */
public final class RunGuard implements AutoCloseable {
  /**
   * After Spark's own shutdown hooks (priority 40: its tasks stop before staging is deleted) and
   * before Hadoop closes its file systems (priority 10).
   */
  private static final int SHUTDOWN_PRIORITY = 25;

  private final RunOwner owner = RunOwner.current();
  private final PrintStream out;
  private final PrintStream err;
  private final Instant started;
  private final List<StagedDataset> claimed = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();

  /** The signals handled, and the handlers they had before (restored by {@link #close}). */
  private final List<Object> signals = new ArrayList<>();

  private final List<Object> previous = new ArrayList<>();
  private final Runnable onShutdown = this::onShutdown;
  private final ScheduledExecutorService heartbeat;
  private volatile String signal;
  private volatile int exitCode;
  private volatile boolean committed;

  private RunGuard(PrintStream out, PrintStream err, Instant started) {
    this.out = out;
    this.err = err;
    this.started = started;
    heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "spark-attention-heartbeat");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts guarding a run: signal handlers, shutdown hook and heartbeat. */
  public static RunGuard install(PrintStream out, PrintStream err, Instant started) {
    RunGuard guard = new RunGuard(out, err, started);
    guard.handle("TERM", 143);
    guard.handle("INT", 130);
    ShutdownHookManager.get().addShutdownHook(guard.onShutdown, SHUTDOWN_PRIORITY);
    guard.heartbeat.scheduleWithFixedDelay(
        () -> guard.claimed.forEach(StagedDataset::heartbeat), 60, 60, TimeUnit.SECONDS);
    return guard;
  }

  /**
   * Handles {@code SIG<name>} through {@code sun.misc.Signal}, reached by reflection: the JDK's
   * only signal API (Spark's {@code SignalUtils} uses it too), which javac flags as internal.
   */
  private void handle(String name, int code) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      Object sig = signalClass.getConstructor(String.class).newInstance(name);
      Object handler =
          Proxy.newProxyInstance(
              handlerClass.getClassLoader(),
              new Class<?>[] {handlerClass},
              (proxy, method, args) -> {
                if (method.getName().equals("handle")) {
                  signal = "SIG" + name;
                  exitCode = code;
                  // The tasks' failures as Spark stops are the signal's consequence, not news:
                  // the one line the user reads is this guard's.
                  SparkSession.getDefaultSession()
                      .foreach(
                          session -> {
                            session.sparkContext().setLogLevel("OFF");
                            return null;
                          });
                  // Shutdown runs Spark's hooks (tasks stop), then this guard's (staging removed).
                  new Thread(() -> System.exit(code), "spark-attention-exit").start();
                  return null;
                }
                return switch (method.getName()) {
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  default -> "spark-attention SIG" + name + " handler";
                };
              });
      Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
      previous.add(handle.invoke(null, sig, handler));
      signals.add(sig);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // No such signal here, or one the JVM reserves or ignores (a background job's SIGINT).
    }
  }

  /**
   * Claims a dataset path for this run (see {@link StagedDataset#prepare}); in a dry run only
   * checks it ({@link StagedDataset#inspect}).
   */
  StagedDataset claim(DatasetPaths.Named path, WriteMode mode, Configuration conf, boolean dryRun) {
    if (dryRun) {
      return StagedDataset.inspect(path.key(), path.resolved(), mode, conf, owner);
    }
    StagedDataset d = StagedDataset.prepare(path.key(), path.resolved(), mode, conf, owner, err);
    claimed.add(d);
    return d;
  }

  /** Commits every claimed dataset at once ({@link RunCommit}); never during a shutdown. */
  void commit(List<StagedDataset> datasets) {
    synchronized (lock) {
      if (signal != null) {
        throw new IllegalStateException("interrupted by " + signal);
      }
      RunCommit.commit(datasets, owner);
      committed = true;
    }
  }

  /** Removes this run's staging unless it committed. Idempotent. */
  void abort() {
    synchronized (lock) {
      if (!committed) {
        for (StagedDataset d : claimed) {
          d.abort();
        }
      }
    }
  }

  /** This run's id, unique to it ({@link RunOwner}). */
  String runId() {
    return owner.runId();
  }

  boolean interrupted() {
    return signal != null;
  }

  int exitCode() {
    return exitCode;
  }

  private void onShutdown() {
    awaitLocalTasks(10_000);
    synchronized (lock) {
      abort();
      if (signal != null) {
        String message =
            committed
                ? "interrupted by "
                    + signal
                    + " after this run's datasets were committed;"
                    + " they are complete."
                : "interrupted by "
                    + signal
                    + "; this run's staging was removed and no dataset was changed. Run again to"
                    + " write the datasets.";
        err.println("error: " + message);
        err.flush();
        out.println(RunSummary.Failure.of(exitCode, "interrupted", message, started).toJson());
        out.flush();
      }
    }
  }

  /**
   * Waits for this JVM's task threads (local mode) to end: Spark's stop interrupts them, but one
   * may still be creating a file, which would make the staging directory again after its removal.
   */
  private static void awaitLocalTasks(long millis) {
    long deadline = System.currentTimeMillis() + millis;
    while (System.currentTimeMillis() < deadline
        && Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.isAlive() && t.getName().startsWith("Executor task launch worker"))) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Ends the guard: handlers restored, hook and heartbeat stopped. */
  @Override
  public void close() {
    heartbeat.shutdownNow();
    for (int i = 0; i < signals.size(); i++) {
      try {
        Class<?> signalClass = Class.forName("sun.misc.Signal");
        Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
        signalClass
            .getMethod("handle", signalClass, handlerClass)
            .invoke(null, signals.get(i), previous.get(i));
      } catch (ReflectiveOperationException | RuntimeException e) {
        // The handler stays: it only acts while a run is guarded.
      }
    }
    if (signal == null) {
      try {
        ShutdownHookManager.get().removeShutdownHook(onShutdown);
      } catch (IllegalStateException e) {
        // Shutdown in progress: the hook runs and finds the guard closed.
      }
    }
  }
}
