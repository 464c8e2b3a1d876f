package dev.durablesql.engine.config;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;

/**
 * Merges the sources of configuration, each overriding the one before: catalogue defaults, a
 * properties file ({@code --config FILE}), environment variables {@code DURABLE_<NAME>} and {@code
 * --set name=value} flags. Every effective value is checked here, once, so a bad value stops {@code
 * durable} before it does any work.
 */
public final class ConfigLoader {
  private final Settings settings;
  private final Map<String, String> environment;
  private final Map<String, String> pluginValues = new java.util.TreeMap<>();

  private static final String PLUGIN_PREFIX = "plugin.";

  /**
   * @param settings the catalogue, usually {@link Settings#standard()}
   * @param environment the process environment, usually {@link System#getenv()}; only variables
   *     that name a setting are read, others (even with the {@code DURABLE_} prefix) are ignored
   */
  public ConfigLoader(Settings settings, Map<String, String> environment) {
    this.settings = requireNonNull(settings, "settings is null");
    this.environment = Map.copyOf(requireNonNull(environment, "environment is null"));
  }

  /** A loader for the standard catalogue and this process's environment. */
  public static ConfigLoader fromSystem() {
    return new ConfigLoader(Settings.standard(), System.getenv());
  }

  /**
   * Loads the configuration.
   *
   * @param file the properties file given with {@code --config}, if any
   * @param assignments the {@code name=value} arguments of the {@code --set} flags, in order; a
   *     later one wins over an earlier one for the same setting
   * @throws ConfigException when the file cannot be read, a name is unknown, an assignment is
   *     malformed or a value is not accepted
   */
  public Config load(Optional<Path> file, List<String> assignments) {
    requireNonNull(file, "file is null");
    requireNonNull(assignments, "assignments is null");
    pluginValues.clear();
    Map<String, Candidate> candidates = new HashMap<>();
    for (Setting setting : settings.all()) {
      candidates.put(setting.name(), new Candidate(setting.defaultValue(), new Source.Default()));
    }
    file.ifPresent(path -> candidates.putAll(readFile(path)));
    candidates.putAll(readEnvironment());
    candidates.putAll(readAssignments(assignments));
    return validated(candidates);
  }

  /**
   * Whether {@code name} is a setting of an activity plugin, {@code plugin.<type>.<name>}. Those
   * are not in the catalogue (plugins come and go), so they are taken as text, unchecked, from the
   * file and {@code --set} only: an environment variable name cannot tell the type from the name.
   */
  private static boolean isPluginSetting(String name) {
    String canonical = Settings.canonical(name);
    return canonical.startsWith(PLUGIN_PREFIX)
        && canonical.indexOf('.', PLUGIN_PREFIX.length()) > PLUGIN_PREFIX.length()
        && !canonical.endsWith(".");
  }

  /** The value text and its source, before it is checked. */
  private record Candidate(String text, Source source) {}

  private Map<String, Candidate> readFile(Path path) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(path, UTF_8)) {
      properties.load(reader);
    } catch (NoSuchFileException e) {
      throw new ConfigException(
          "config file " + path + " does not exist: check the path given to --config", e);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + path + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "config file " + path + " is not a valid properties file: " + e.getMessage(), e);
    }
    Source source = new Source.ConfigFile(path);
    Map<String, Candidate> found = new HashMap<>();
    Map<String, String> keys = new HashMap<>();
    // Sorted, so that the first error reported does not depend on hash order.
    for (String key : new TreeSet<>(properties.stringPropertyNames())) {
      if (isPluginSetting(key)) {
        pluginValues.put(Settings.canonical(key), properties.getProperty(key));
        continue;
      }
      Setting setting = settings.require(key, "in config file " + path);
      String earlier = keys.put(setting.name(), key);
      if (earlier != null) {
        throw new ConfigException(
            "config file "
                + path
                + " sets "
                + setting.name()
                + " twice, as "
                + earlier
                + " and as "
                + key
                + ": keep one");
      }
      found.put(setting.name(), new Candidate(properties.getProperty(key), source));
    }
    return found;
  }

  private Map<String, Candidate> readEnvironment() {
    Map<String, Candidate> found = new HashMap<>();
    for (Setting setting : settings.all()) {
      String variable = setting.environmentVariable();
      String value = environment.get(variable);
      // An empty variable counts as unset, as it does in most shell scripts and compose files.
      if (value != null && !value.isEmpty()) {
        found.put(setting.name(), new Candidate(value, new Source.Environment(variable)));
      }
    }
    return found;
  }

  private Map<String, Candidate> readAssignments(List<String> assignments) {
    Map<String, Candidate> found = new HashMap<>();
    for (String assignment : assignments) {
      requireNonNull(assignment, "assignment is null");
      int equals = assignment.indexOf('=');
      if (equals <= 0 || assignment.substring(0, equals).isBlank()) {
        throw new ConfigException(
            "--set " + assignment + " is not name=value: write e.g. --set max-user-connections=20");
      }
      String name = assignment.substring(0, equals);
      if (isPluginSetting(name)) {
        pluginValues.put(Settings.canonical(name), assignment.substring(equals + 1));
        continue;
      }
      Setting setting = settings.require(name, "in --set");
      found.put(
          setting.name(),
          new Candidate(assignment.substring(equals + 1), new Source.CommandLine()));
    }
    return found;
  }

  /** Checks every value of the merged configuration, then the rules between settings. */
  private Config validated(Map<String, Candidate> candidates) {
    Map<String, Config.Value> values = new HashMap<>();
    for (Setting setting : settings.all()) {
      Candidate candidate = candidates.get(setting.name());
      Object parsed = null;
      if (candidate.text() != null) {
        try {
          parsed = setting.parse(candidate.text());
        } catch (ConfigException e) {
          throw new ConfigException(
              e.getMessage() + " (from " + candidate.source().describe() + ")", e);
        }
      }
      values.put(setting.name(), new Config.Value(candidate.text(), parsed, candidate.source()));
    }
    Config config = new Config(settings, values, pluginValues);
    checkHeartbeatWithinLease(config);
    return config;
  }

  // EngineConfig enforces the same rule; checking it here names the sources of both values.
  private void checkHeartbeatWithinLease(Config config) {
    if (settings.find("heartbeat-interval").isEmpty()
        || settings.find("lease-duration").isEmpty()) {
      return;
    }
    Duration heartbeat = config.duration("heartbeat-interval");
    Duration lease = config.duration("lease-duration");
    if (heartbeat.multipliedBy(2).compareTo(lease) > 0) {
      throw new ConfigException(
          "setting lease-duration = "
              + DurationText.format(lease)
              + " (from "
              + config.source("lease-duration").describe()
              + ") must be at least twice heartbeat-interval = "
              + DurationText.format(heartbeat)
              + " (from "
              + config.source("heartbeat-interval").describe()
              + "), or leases lapse while the engine is alive: raise lease-duration or lower"
              + " heartbeat-interval");
    }
  }
}
