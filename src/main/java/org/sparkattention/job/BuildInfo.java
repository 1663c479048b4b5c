package org.sparkattention.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.sparkattention.kernel.BlockedAttentionKernel;
import scala.util.Properties$;

/**
 * What this jar is and what it runs on, for {@code --version} and the summary's provenance: the
 * project version and commit Maven recorded at build time ({@code build-info.properties}), the
 * Spark it was built against, and the Spark, Scala, Java and BLAS of this JVM.
 */
final class BuildInfo {
  private static final Properties BUILD = load();

  private BuildInfo() {}

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in =
        BuildInfo.class.getResourceAsStream("/org/sparkattention/build-info.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  /** A build property; "unknown" when the build did not fill it in (no git checkout). */
  private static String build(String key) {
    String v = BUILD.getProperty(key);
    return v == null || v.isBlank() || v.startsWith("${") ? "unknown" : v;
  }

  static String version() {
    return build("version");
  }

  /** The abbreviated commit, with "-modified" when the working tree had changes. */
  static String commit() {
    String commit = build("commit");
    return "true".equals(build("dirty")) ? commit + "-modified" : commit;
  }

  static String builtAgainstSpark() {
    return build("spark");
  }

  static String scalaVersion() {
    return Properties$.MODULE$.versionNumberString();
  }

  static String javaVersion() {
    return System.getProperty("java.vendor") + " " + Runtime.version();
  }

  /** The text {@code --version} prints. */
  static String versionText() {
    return "spark-attention "
        + version()
        + " (commit "
        + commit()
        + ", built against Spark "
        + builtAgainstSpark()
        + ")\n"
        + "running on Spark "
        + RuntimeSupport.sparkVersion()
        + ", Scala "
        + scalaVersion()
        + ", Java "
        + javaVersion()
        + "\n"
        + "kernel: "
        + kernelImplementation()
        + "\n";
  }

  /** How the kernel's products and its softmax's exp run on this JVM. */
  static String kernelImplementation() {
    return "products "
        + BlockedAttentionKernel.productImplementation()
        + ", exp "
        + BlockedAttentionKernel.expImplementation();
  }
}
