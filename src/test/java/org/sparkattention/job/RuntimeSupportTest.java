package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The supported range of Spark, Scala and Java, and the one line outside it. */
class RuntimeSupportTest {
  @Test
  void theTestedCombinationsAreSupported() {
    assertNull(RuntimeSupport.problem("4.0.1", "2.13.16", 17));
    assertNull(RuntimeSupport.problem("4.1.0", "2.13.17", 21));
    assertNull(RuntimeSupport.problem("4.2.0", "2.13.17", 25));
    assertNull(RuntimeSupport.problem("4.2.1-SNAPSHOT", "2.13.17", 17));
  }

  @Test
  void thisJvmIsSupported() {
    assertTrue(RuntimeSupport.sparkVersion().startsWith("4."), RuntimeSupport.sparkVersion());
    RuntimeSupport.requireSupported();
  }

  @Test
  void outsideTheRangeTheMessageSaysWhatWasFoundAndWhatIsSupported() {
    String spark3 = RuntimeSupport.problem("3.5.3", "2.13.8", 17);
    assertTrue(
        spark3.startsWith("this is Spark 3.5.3, but spark-attention runs on Spark 4.0.x"), spark3);
    assertTrue(RuntimeSupport.problem("4.3.0", "2.13.17", 17).contains("this is Spark 4.3.0"));
    assertTrue(RuntimeSupport.problem("4.1.0", "2.12.18", 17).contains("Scala 2.12.18"));
    String java25 = RuntimeSupport.problem("4.1.0", "2.13.17", 25);
    assertTrue(java25.startsWith("this is Java 25 with Spark 4.1.0"), java25);
    assertTrue(java25.contains("(Java 25 with Spark 4.2)"), java25);
    assertTrue(RuntimeSupport.problem("4.2.0", "2.13.17", 26).contains("Java 26"));
    assertTrue(RuntimeSupport.problem("4.2.0", "2.13.17", 11).contains("Java 11"));
  }
}
