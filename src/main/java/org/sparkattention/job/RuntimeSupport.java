package org.sparkattention.job;

import org.sparkattention.errors.UserErrors;
import scala.util.Properties;

/**
 * The Spark, Scala and Java a run is on, checked before anything else: one application jar serves
 * Spark 4.0.x, 4.1.x and 4.2.x on Scala 2.13, on Java 17 to 21, and Java 25 with Spark 4.2 (Spark
 * 4.0 and 4.1 ship a Hadoop that fails on Java 24 and later: {@code getSubject is not supported}).
 * Outside that range the job stops with one error line instead of failing somewhere in Spark.
 */
final class RuntimeSupport {
  private RuntimeSupport() {}

  /** Throws a CONFIG error when this JVM's Spark, Scala or Java is not supported. */
  static void requireSupported() {
    String problem =
        problem(sparkVersion(), Properties.versionNumberString(), Runtime.version().feature());
    if (problem != null) {
      throw UserErrors.unsupportedRuntime(problem);
    }
  }

  /** Spark's version string, as its {@code package object spark} declares it. */
  static String sparkVersion() {
    try {
      Object pkg = Class.forName("org.apache.spark.package$").getField("MODULE$").get(null);
      return (String) pkg.getClass().getMethod("SPARK_VERSION").invoke(pkg);
    } catch (ReflectiveOperationException e) {
      return "unknown";
    }
  }

  /** What is unsupported about this combination, with what is supported; null when supported. */
  static String problem(String spark, String scala, int java) {
    String supported =
        "spark-attention runs on Spark 4.0.x, 4.1.x and 4.2.x with Scala 2.13, on Java 17 to 21"
            + " (Java 25 with Spark 4.2)";
    int[] v = numbers(spark);
    if (v[0] != 4 || v[1] > 2) {
      return "this is Spark " + spark + ", but " + supported + ". Submit with a supported Spark.";
    }
    if (!scala.startsWith("2.13.")) {
      return "this Spark runs on Scala "
          + scala
          + ", but "
          + supported
          + ". Use the Scala 2.13 build of Spark.";
    }
    boolean javaOk = java >= 17 && (java <= 21 || (v[1] >= 2 && java <= 25));
    if (!javaOk) {
      return "this is Java "
          + java
          + " with Spark "
          + spark
          + ", but "
          + supported
          + ". Run on a supported Java (JAVA_HOME).";
    }
    return null;
  }

  /** Major and minor of a version string; -1 where absent. */
  private static int[] numbers(String version) {
    int[] v = {-1, -1};
    String[] parts = version.split("[.-]");
    for (int i = 0; i < 2 && i < parts.length; i++) {
      try {
        v[i] = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        break;
      }
    }
    return v;
  }
}
