package org.sparkattention.job;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on 127.0.0.1 from Maven jars alone: one master and workers of one
 * core each, every one its own JVM, executors launched by the workers as further JVMs. Uses {@code
 * target/spark-home/jars} (made by the build) as SPARK_HOME. Stops everything it started.
 */
final class StandaloneCluster implements AutoCloseable {
  static final Path SPARK_HOME = Path.of("target/spark-home").toAbsolutePath();
  static final Path APP_JAR = Path.of("target/spark-attention.jar").toAbsolutePath();

  private final Path workDir;
  private final List<Process> processes = new ArrayList<>();
  final int masterPort;

  StandaloneCluster(Path workDir, int workers) throws Exception {
    this.workDir = workDir;
    this.masterPort = freePort();
    start(
        "master",
        "org.apache.spark.deploy.master.Master",
        "--host",
        "127.0.0.1",
        "--port",
        String.valueOf(masterPort),
        "--webui-port",
        String.valueOf(freePort()));
    waitForPort(masterPort, 60);
    for (int i = 0; i < workers; i++) {
      Path dir = Files.createDirectories(workDir.resolve("worker-" + i));
      start(
          "worker-" + i,
          "org.apache.spark.deploy.worker.Worker",
          "--host",
          "127.0.0.1",
          "--cores",
          "1",
          "--memory",
          "1g",
          "--webui-port",
          String.valueOf(freePort()),
          "--work-dir",
          dir.toString(),
          masterUrl());
    }
    waitForWorkers(workers, 60);
  }

  String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /** The JVM flags Spark needs on Java 17 (pom.xml's spark.jvm.flags, given by surefire). */
  static List<String> jvmFlags() {
    String flags = System.getProperty("spark.jvm.flags", "");
    return flags.isBlank() ? List.of() : List.of(flags.trim().split("\\s+"));
  }

  static ProcessBuilder java(String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx1g");
    cmd.addAll(jvmFlags());
    cmd.add("-cp");
    cmd.add(SPARK_HOME.resolve("jars") + File.separator + "*");
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("SPARK_HOME", SPARK_HOME.toString());
    // Without it every executor fails with "Cannot find any build directories".
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb;
  }

  private void start(String name, String mainClass, String... args) throws IOException {
    ProcessBuilder pb = java(mainClass, List.of(args));
    pb.redirectErrorStream(true);
    pb.redirectOutput(workDir.resolve(name + ".log").toFile());
    processes.add(pb.start());
  }

  private void waitForWorkers(int workers, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      String log = Files.readString(workDir.resolve("master.log"));
      int registered = log.split("Registering worker", -1).length - 1;
      if (registered >= workers) {
        return;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(
        "workers did not register in " + seconds + " s; see " + workDir.resolve("master.log"));
  }

  /** PIDs of executor JVMs (CoarseGrainedExecutorBackend) the workers launched. */
  List<ProcessHandle> executors() {
    List<ProcessHandle> out = new ArrayList<>();
    for (Process p : processes) {
      p.descendants()
          .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
          .forEach(out::add);
    }
    return out;
  }

  Path log(String name) {
    return workDir.resolve(name + ".log");
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    for (Process p : processes) {
      try {
        p.waitFor(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void waitForPort(int port, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      try {
        new Socket("127.0.0.1", port).close();
        return;
      } catch (IOException e) {
        Thread.sleep(200);
      }
    }
    throw new IllegalStateException("nothing listens on 127.0.0.1:" + port);
  }
}
