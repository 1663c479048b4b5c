package org.sparkattention.config;

import java.util.Locale;

/**
 * A setting with a fixed set of values: each enum constant's configuration name is its name in
 * lower case with {@code -} for {@code _} ({@code OVERWRITE_PARTITIONS} is {@code
 * overwrite-partitions}).
 */
public interface Choice {
  /** The constant's name in the configuration, the summary and messages. */
  default String configName() {
    return ((Enum<?>) this).name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
