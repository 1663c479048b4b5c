package org.sparkattention.kernel;

import java.util.function.Supplier;

/**
 * Loads a kernel's Vector API implementation by reflection, so that its class is touched only when
 * the {@code jdk.incubator.vector} module is present: the one way {@link TileLoops} and {@link
 * FixedOrderGemm} choose between their vector and scalar loops.
 */
final class ScalarOrVector {
  private ScalarOrVector() {}

  /**
   * A new {@code className} (a no-argument constructor) when the module is present and the system
   * property {@code disabledBy} is not true, else {@code scalar}'s.
   */
  static <T> T orScalar(Class<T> type, String className, String disabledBy, Supplier<T> scalar) {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
        && !Boolean.getBoolean(disabledBy)) {
      try {
        return type.cast(Class.forName(className).getDeclaredConstructor().newInstance());
      } catch (ReflectiveOperationException | LinkageError e) {
        // The module is there but unusable: fall back to the scalar loops.
      }
    }
    return scalar.get();
  }
}
