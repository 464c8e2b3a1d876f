package dev.durablesql.engine.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One configuration setting: its canonical kebab-case name, its default as text ({@code null} when
 * it has none), a one-line meaning for the docs and {@code durable config}, the values it accepts,
 * and whether its value is a secret to be masked wherever it is shown.
 */
public record Setting(
    String name, String defaultValue, String meaning, SettingKind kind, boolean secret) {
  // Kebab-case, optionally behind one namespace of an activity (http.policy, embed.api-key).
  private static final Pattern KEBAB_CASE =
      Pattern.compile("([a-z][a-z0-9]*\\.)?[a-z][a-z0-9]*(-[a-z0-9]+)*");
  private static final String ENVIRONMENT_PREFIX = "DURABLE_";

  /** Shown instead of a secret value. */
  public static final String MASK = "****";

  public Setting {
    requireNonNull(name, "name is null");
    requireNonNull(meaning, "meaning is null");
    requireNonNull(kind, "kind is null");
    if (!KEBAB_CASE.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "setting name '"
              + name
              + "' is not kebab-case; write it like max-user-connections or http.max-response-bytes");
    }
    if (meaning.isBlank() || meaning.contains("\n") || meaning.contains("|")) {
      throw new IllegalArgumentException(
          "meaning of setting " + name + " must be one non-blank line without '|'");
    }
  }

  /** Free text, such as a URL or a role name. */
  public static Setting text(String name, String defaultValue, String meaning) {
    return new Setting(name, defaultValue, meaning, new SettingKind.Text(), false);
  }

  /** Secret text with no default, such as a password: masked by {@code durable config}. */
  public static Setting secret(String name, String meaning) {
    return new Setting(name, null, meaning, new SettingKind.Text(), true);
  }

  /** A boolean. */
  public static Setting flag(String name, boolean defaultValue, String meaning) {
    return new Setting(
        name, Boolean.toString(defaultValue), meaning, new SettingKind.Flag(), false);
  }

  /** A whole number from {@code min} to {@code max}, both included. */
  public static Setting integer(String name, int defaultValue, int min, int max, String meaning) {
    return new Setting(
        name,
        Integer.toString(defaultValue),
        meaning,
        new SettingKind.IntegerRange(min, max),
        false);
  }

  /** A duration; default and bounds are written as values are, such as {@code "30s"}. */
  public static Setting duration(
      String name, String defaultValue, String min, String max, String meaning) {
    return new Setting(
        name,
        defaultValue,
        meaning,
        new SettingKind.DurationRange(bound(name, min), bound(name, max)),
        false);
  }

  /** A file system path; a leading {@code ~} is the home directory. */
  public static Setting path(String name, String defaultValue, String meaning) {
    return new Setting(name, defaultValue, meaning, new SettingKind.FilePath(), false);
  }

  /** One of a fixed list of lower-case words. */
  public static Setting oneOf(
      String name, String defaultValue, List<String> values, String meaning) {
    return new Setting(name, defaultValue, meaning, new SettingKind.OneOf(values), false);
  }

  /** The default as text, or empty when the setting has none. */
  public Optional<String> defaultText() {
    return Optional.ofNullable(defaultValue);
  }

  /**
   * The environment variable that sets this setting: {@code DURABLE_} and the name upper-cased,
   * with dots and dashes as underscores, such as {@code DURABLE_MAX_USER_CONNECTIONS}.
   */
  public String environmentVariable() {
    return ENVIRONMENT_PREFIX + name.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
  }

  /** {@code text} as {@link #MASK} when this setting is secret, else unchanged. */
  public String shown(String text) {
    return secret ? MASK : text;
  }

  /** Parses {@code text} with this setting's kind; see {@link SettingKind#parse}. */
  Object parse(String text) {
    return kind.parse(this, requireNonNull(text, "text is null"));
  }

  /** An error saying that {@code shownValue} (masked if secret) has {@code problem}. */
  ConfigException rejected(String shownValue, String problem) {
    return new ConfigException("setting " + name + " = " + shown(shownValue) + " " + problem);
  }

  private static Duration bound(String name, String text) {
    return DurationText.parse(text)
        .orElseThrow(() ->
            new IllegalArgumentException(
                "bound '" + text + "' of setting " + name + " is not a duration"));
  }
}
