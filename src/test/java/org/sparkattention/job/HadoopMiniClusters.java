package org.sparkattention.job;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * HDFS and YARN for real, in this JVM, on 127.0.0.1: a MiniDFSCluster (one data node) and a
 * MiniYARNCluster (one resource manager, one node manager whose containers are JVMs of their own),
 * as Spark's own YARN tests run them; their client configuration written to a directory to use as
 * HADOOP_CONF_DIR. Stops both on close.
 */
final class HadoopMiniClusters implements AutoCloseable {
  final MiniDFSCluster dfs;
  final MiniYARNCluster yarn;
  final Path confDir;

  HadoopMiniClusters(Path baseDir) throws Exception {
    Configuration conf = new Configuration();
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    dfs =
        new MiniDFSCluster.Builder(conf, baseDir.resolve("dfs").toFile())
            .numDataNodes(1)
            .nameNodePort(StandaloneCluster.freePort())
            .build();
    dfs.waitActive();

    YarnConfiguration yarnConf = new YarnConfiguration(dfs.getConfiguration(0));
    yarnConf.set("yarn.resourcemanager.hostname", "127.0.0.1");
    yarnConf.set("yarn.nodemanager.hostname", "127.0.0.1");
    // Small containers, enough for an application master and two executors of 512 MB.
    yarnConf.setInt("yarn.scheduler.minimum-allocation-mb", 128);
    yarnConf.setInt("yarn.nodemanager.resource.memory-mb", 6144);
    yarnConf.setInt("yarn.nodemanager.resource.cpu-vcores", 4);
    yarnConf.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
    yarnConf.setBoolean("yarn.nodemanager.pmem-check-enabled", false);
    // One queue taking the whole cluster (the capacity scheduler has no default queues).
    yarnConf.set("yarn.scheduler.capacity.root.queues", "default");
    yarnConf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
    yarnConf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
    yarnConf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
    yarnConf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    yarnConf.set("yarn.scheduler.capacity.root.default.maximum-am-resource-percent", "1.0");
    yarnConf.setInt("yarn.scheduler.capacity.node-locality-delay", -1);
    // A busy shared disk must not take the node manager's directories out of service.
    yarnConf.setFloat(
        "yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", 100f);
    yarn = new MiniYARNCluster("spark-attention", 1, 1, 1);
    yarn.init(yarnConf);
    yarn.start();
    // The resource manager's real address is in the configuration only once it has started.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (yarn.getConfig().get(YarnConfiguration.RM_ADDRESS, "").endsWith(":0")
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }

    // What a client needs, and only that: the whole configuration holds test-only classes
    // (StaticMapping) that a Spark distribution does not have.
    confDir = Files.createDirectories(baseDir.resolve("hadoop-conf"));
    Configuration core = new Configuration(false);
    core.set("fs.defaultFS", fileSystem().getUri().toString());
    write(core, confDir.resolve("core-site.xml"));
    Configuration site = new Configuration(false);
    for (String key :
        new String[] {
          YarnConfiguration.RM_ADDRESS,
          YarnConfiguration.RM_SCHEDULER_ADDRESS,
          YarnConfiguration.RM_WEBAPP_ADDRESS,
          YarnConfiguration.RM_HOSTNAME
        }) {
      site.set(key, yarn.getConfig().get(key));
    }
    write(site, confDir.resolve("yarn-site.xml"));
  }

  private static void write(Configuration conf, Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      conf.writeXml(out);
    }
  }

  /** The stderr of every container of the last application YARN ran, one after another. */
  String lastApplicationStderr() throws IOException {
    Path logs = Path.of(yarn.getNodeManager(0).getConfig().get("yarn.nodemanager.log-dirs"));
    Path app;
    try (Stream<Path> apps = Files.list(logs)) {
      app = apps.max(Comparator.comparing(Path::toString)).orElseThrow();
    }
    StringBuilder out = new StringBuilder();
    try (Stream<Path> files = Files.walk(app)) {
      for (Path f : files.filter(f -> f.endsWith("stderr")).sorted().toList()) {
        out.append(Files.readString(f));
      }
    }
    return out.toString();
  }

  FileSystem fileSystem() throws IOException {
    return dfs.getFileSystem();
  }

  /** {@code hdfs://127.0.0.1:PORT/path}. */
  String uri(String path) throws IOException {
    return fileSystem().getUri() + path;
  }

  @Override
  public void close() {
    yarn.stop();
    dfs.shutdown();
  }
}
