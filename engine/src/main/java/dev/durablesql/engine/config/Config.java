package dev.durablesql.engine.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * The effective value of every setting, merged from defaults, file, environment and {@code --set}
 * by {@link ConfigLoader}. Immutable; every value was parsed and checked when it was loaded, so the
 * typed getters only fail when the caller asks for the wrong type or a required value is unset.
 * Getters accept any spelling of a setting name.
 */
public final class Config {
  private final Settings settings;
  private final Map<String, Value> values;
  private final Map<String, String> pluginValues;

  /** The text, typed value and source of one setting; {@code text} is null when it has no value. */
  record Value(String text, Object parsed, Source source) {
    Value {
      requireNonNull(source, "source is null");
    }
  }

  Config(Settings settings, Map<String, Value> values) {
    this(settings, values, Map.of());
  }

  Config(Settings settings, Map<String, Value> values, Map<String, String> pluginValues) {
    this.settings = requireNonNull(settings, "settings is null");
    this.values = Map.copyOf(requireNonNull(values, "values is null"));
    this.pluginValues = Map.copyOf(requireNonNull(pluginValues, "pluginValues is null"));
    for (Setting setting : settings.all()) {
      if (!this.values.containsKey(setting.name())) {
        throw new IllegalArgumentException("no value recorded for setting " + setting.name());
      }
    }
  }

  /**
   * The settings of activity plugins, {@code plugin.<type>.<name>} in canonical spelling, as given
   * in the config file or with {@code --set}; unchecked text.
   */
  public Map<String, String> pluginValues() {
    return pluginValues;
  }

  /** The catalogue this configuration was loaded for. */
  public Settings settings() {
    return settings;
  }

  /**
   * The value of a text or one-of setting.
   *
   * @throws ConfigException when the setting has no value, saying how to give it one
   */
  public String string(String name) {
    return optionalString(name).orElseThrow(() -> missing(name));
  }

  /** The value of a text or one-of setting, or empty when it has none. */
  public Optional<String> optionalString(String name) {
    Setting setting = setting(name);
    if (!(setting.kind() instanceof SettingKind.Text)
        && !(setting.kind() instanceof SettingKind.OneOf)) {
      throw wrongType(setting, "string");
    }
    return Optional.ofNullable((String) values.get(setting.name()).parsed());
  }

  /** The value of a whole-number setting. */
  public int integer(String name) {
    return (Integer) typed(name, SettingKind.IntegerRange.class, "integer");
  }

  /** The value of a boolean setting. */
  public boolean bool(String name) {
    return (Boolean) typed(name, SettingKind.Flag.class, "bool");
  }

  /** The value of a duration setting. */
  public Duration duration(String name) {
    return (Duration) typed(name, SettingKind.DurationRange.class, "duration");
  }

  /** The value of a path setting, with a leading {@code ~} expanded to the home directory. */
  public Path path(String name) {
    String text = (String) typed(name, SettingKind.FilePath.class, "path");
    return SettingKind.FilePath.expand(text, System.getProperty("user.home"));
  }

  /** Where the effective value of the setting came from. */
  public Source source(String name) {
    return values.get(setting(name).name()).source();
  }

  /** The effective value as written (not masked), or empty when the setting has no value. */
  Optional<String> text(String name) {
    return Optional.ofNullable(values.get(setting(name).name()).text());
  }

  /** Every setting as {@code name=value}, with secrets masked. */
  @Override
  public String toString() {
    StringJoiner joiner = new StringJoiner(", ", "Config[", "]");
    for (Setting setting : settings.all()) {
      String text = values.get(setting.name()).text();
      joiner.add(setting.name() + "=" + (text == null ? "" : setting.shown(text)));
    }
    return joiner.toString();
  }

  private Object typed(String name, Class<? extends SettingKind> kind, String getter) {
    Setting setting = setting(name);
    if (!kind.isInstance(setting.kind())) {
      throw wrongType(setting, getter);
    }
    Object parsed = values.get(setting.name()).parsed();
    if (parsed == null) {
      throw missing(setting.name());
    }
    return parsed;
  }

  private Setting setting(String name) {
    return settings
        .find(name)
        .orElseThrow(
            () -> new IllegalArgumentException("no setting named '" + name + "' in the catalogue"));
  }

  private ConfigException missing(String name) {
    Setting setting = setting(name);
    return new ConfigException(
        "setting "
            + setting.name()
            + " has no value: give it with --set "
            + setting.name()
            + "=..., the environment variable "
            + setting.environmentVariable()
            + " or a line "
            + setting.name()
            + "=... in the --config file");
  }

  private static IllegalArgumentException wrongType(Setting setting, String getter) {
    return new IllegalArgumentException(
        "setting "
            + setting.name()
            + " holds "
            + setting.kind().describe()
            + "; "
            + getter
            + "() cannot read it");
  }
}
