package org.sparkattention.config;

import java.util.function.Function;
import java.util.function.Predicate;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;

/**
 * One configuration key: its name, default (null when required or unset), parser, validator and
 * help text. {@link #parse} turns a raw string into a typed value or a CONFIG error naming the key,
 * the value, the rule and the fix.
 */
public record ConfigKey<T>(
    String name,
    String defaultValue,
    Function<String, T> parser,
    Predicate<T> validator,
    String rule,
    String help) {

  /** The typed value of {@code raw} (trimmed); throws a CONFIG error when it does not parse. */
  public T parse(String raw) {
    String value = raw.trim();
    T parsed;
    try {
      parsed = parser.apply(value);
    } catch (RuntimeException e) {
      throw invalid(value);
    }
    if (parsed == null || !validator.test(parsed)) {
      throw invalid(value);
    }
    return parsed;
  }

  AttentionException invalid(String value) {
    return UserErrors.invalidValue(name, value, rule);
  }

  static ConfigKey<String> string(String name, String defaultValue, String help) {
    return new ConfigKey<>(name, defaultValue, s -> s, s -> true, "a string", help);
  }

  static ConfigKey<String> path(String name, String defaultValue, String help) {
    return new ConfigKey<>(
        name, defaultValue, s -> s, s -> !s.isEmpty(), "a non-empty path or URI", help);
  }

  static ConfigKey<Boolean> bool(String name, boolean defaultValue, String help) {
    return new ConfigKey<>(
        name,
        String.valueOf(defaultValue),
        s ->
            switch (s.toLowerCase(java.util.Locale.ROOT)) {
              case "true" -> Boolean.TRUE;
              case "false" -> Boolean.FALSE;
              default -> null;
            },
        b -> true,
        "true or false",
        help);
  }

  static ConfigKey<Integer> positiveInt(String name, String defaultValue, String help) {
    return new ConfigKey<>(
        name, defaultValue, Integer::valueOf, i -> i >= 1, "a whole number of at least 1", help);
  }

  /** A key whose values are {@code type}'s constants, by their {@link Choice#configName}. */
  static <E extends Enum<E> & Choice> ConfigKey<E> choice(
      String name, E defaultValue, String help, Class<E> type) {
    E[] values = type.getEnumConstants();
    return new ConfigKey<>(
        name,
        defaultValue.configName(),
        s -> {
          for (E e : values) {
            if (e.configName().equalsIgnoreCase(s)) {
              return e;
            }
          }
          return null;
        },
        e -> true,
        "one of "
            + String.join(", ", java.util.Arrays.stream(values).map(Choice::configName).toList()),
        help);
  }
}
