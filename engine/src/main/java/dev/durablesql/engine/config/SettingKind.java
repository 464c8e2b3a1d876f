package dev.durablesql.engine.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;

/**
 * The values a setting accepts. Each kind turns the text of a value into a typed value once, at
 * load, and rejects bad text with a message naming the setting and the accepted values.
 */
public sealed interface SettingKind {

  /**
   * Parses {@code text}, the value of {@code setting}, into the typed value that {@link Config}
   * hands out.
   *
   * @throws ConfigException when the text is not an accepted value
   */
  Object parse(Setting setting, String text);

  /** The accepted values in words, such as {@code "whole number 1..1000"}. */
  String describe();

  /** Any non-blank text, kept exactly as written. */
  record Text() implements SettingKind {
    @Override
    public Object parse(Setting setting, String text) {
      if (text.isBlank()) {
        throw setting.rejected(quote(text), "is empty: give a value, or leave the setting out");
      }
      return text;
    }

    @Override
    public String describe() {
      return "text";
    }
  }

  /** A whole number from {@code min} to {@code max}, both included. */
  record IntegerRange(int min, int max) implements SettingKind {
    public IntegerRange {
      if (min > max) {
        throw new IllegalArgumentException("range " + min + ".." + max + " is empty");
      }
    }

    @Override
    public Object parse(Setting setting, String text) {
      long value;
      try {
        value = Long.parseLong(text.strip());
      } catch (NumberFormatException e) {
        throw setting.rejected(quote(text), "is not a whole number: use one in " + range());
      }
      if (value < min || value > max) {
        throw setting.rejected(Long.toString(value), "is out of range " + range());
      }
      return (int) value;
    }

    @Override
    public String describe() {
      return "whole number " + range();
    }

    /** The range as people write it, such as {@code 1..1000}. */
    public String range() {
      return min + ".." + max;
    }
  }

  /** {@code true} or {@code false}, in any case. */
  record Flag() implements SettingKind {
    @Override
    public Object parse(Setting setting, String text) {
      return switch (text.strip().toLowerCase(Locale.ROOT)) {
        case "true" -> true;
        case "false" -> false;
        default -> throw setting.rejected(quote(text), "is not a boolean: use true or false");
      };
    }

    @Override
    public String describe() {
      return "true or false";
    }
  }

  /**
   * A duration from {@code min} to {@code max}, both included, written as {@code 30s}, {@code 5m},
   * {@code 1h}, {@code 250ms}, {@code 2d}, ISO-8601 ({@code PT30S}) or a plain number of seconds.
   */
  record DurationRange(Duration min, Duration max) implements SettingKind {
    public DurationRange {
      requireNonNull(min, "min is null");
      requireNonNull(max, "max is null");
      if (min.isNegative() || min.compareTo(max) > 0) {
        throw new IllegalArgumentException("duration range " + min + ".." + max + " is invalid");
      }
    }

    @Override
    public Object parse(Setting setting, String text) {
      Duration value =
          DurationText.parse(text)
              .orElseThrow(() ->
                  setting.rejected(
                      quote(text),
                      "is not a duration: use e.g. 30s, 5m, 1h, 250ms or an ISO-8601 value"
                          + " like PT30S"));
      if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
        throw setting.rejected(text.strip(), "is out of range " + range());
      }
      return value;
    }

    @Override
    public String describe() {
      return "duration " + range();
    }

    /** The range as people write it, such as {@code 1s..1h}. */
    public String range() {
      return DurationText.format(min) + ".." + DurationText.format(max);
    }
  }

  /**
   * A file system path, kept as written; a leading {@code ~} stands for the home directory and is
   * expanded when the path is read, not when it is stored.
   */
  record FilePath() implements SettingKind {
    @Override
    public Object parse(Setting setting, String text) {
      if (text.isBlank()) {
        throw setting.rejected(quote(text), "is empty: give a path, or leave the setting out");
      }
      try {
        expand(text, System.getProperty("user.home"));
      } catch (InvalidPathException e) {
        throw setting.rejected(quote(text), "is not a valid path: " + e.getReason());
      }
      return text;
    }

    @Override
    public String describe() {
      return "path";
    }

    /** {@code text} as a path, with a leading {@code ~} replaced by {@code home}. */
    static Path expand(String text, String home) {
      if (text.equals("~")) {
        return Path.of(home);
      }
      if (text.startsWith("~/")) {
        return Path.of(home, text.substring(2));
      }
      return Path.of(text);
    }
  }

  /** One of a fixed list of lower-case words, matched in any case. */
  record OneOf(List<String> values) implements SettingKind {
    public OneOf {
      values = List.copyOf(values);
      if (values.isEmpty() || new HashSet<>(values).size() != values.size()) {
        throw new IllegalArgumentException("choices " + values + " are empty or repeat a value");
      }
      for (String value : values) {
        if (!value.equals(value.toLowerCase(Locale.ROOT))) {
          throw new IllegalArgumentException("choice '" + value + "' is not lower-case");
        }
      }
    }

    @Override
    public Object parse(Setting setting, String text) {
      String value = text.strip().toLowerCase(Locale.ROOT);
      if (!values.contains(value)) {
        throw setting.rejected(quote(text), "is not one of " + String.join(", ", values));
      }
      return value;
    }

    @Override
    public String describe() {
      return "one of " + String.join(", ", values);
    }
  }

  private static String quote(String text) {
    return "'" + text + "'";
  }
}
