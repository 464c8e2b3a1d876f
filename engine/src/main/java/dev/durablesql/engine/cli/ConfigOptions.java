package dev.durablesql.engine.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.durablesql.engine.config.Config;
import dev.durablesql.engine.config.ConfigLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * The options every command shares: where configuration comes from (docs/configuration.md) and
 * {@code --verbose}. Dedicated flags such as {@code --url} are shorthands for {@code --set}.
 */
final class ConfigOptions {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "A properties file with settings (see durable config).")
  Path configFile;

  @Option(
      names = "--set",
      paramLabel = "NAME=VALUE",
      description = "Sets one setting; wins over the file and DURABLE_* variables. Repeatable.")
  List<String> assignments = new ArrayList<>();

  @Option(names = "--verbose", description = "Print stack traces of failures.")
  boolean verbose;

  /** Loads the configuration with the command's own flags applied last. */
  Config load(List<String> flagAssignments) {
    List<String> all = new ArrayList<>(assignments);
    all.addAll(flagAssignments);
    Config config = ConfigLoader.fromSystem().load(Optional.ofNullable(configFile), all);
    applyLogLevel(config.string("log-level"));
    return config;
  }

  /** Sets the level of durable-sql's own loggers (libraries stay at their configured levels). */
  private static void applyLogLevel(String level) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger("dev.durablesql").setLevel(Level.toLevel(level, Level.INFO));
    }
  }
}
