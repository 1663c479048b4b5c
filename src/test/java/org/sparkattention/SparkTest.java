package org.sparkattention;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A test class that runs a Spark session (seconds to start, minutes in all): tagged {@value #TAG},
 * so that {@code mvn test -DexcludedGroups=spark} runs only the fast, session-free tests.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(SparkTest.TAG)
public @interface SparkTest {
  String TAG = "spark";
}
