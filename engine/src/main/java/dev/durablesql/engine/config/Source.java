package dev.durablesql.engine.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/** Where the effective value of a setting came from, as {@code durable config} shows it. */
public sealed interface Source {

  /** A short description: {@code default}, the file path, the variable name or {@code --set}. */
  String describe();

  /** The catalogue default, or no value at all when the setting has no default. */
  record Default() implements Source {
    @Override
    public String describe() {
      return "default";
    }
  }

  /** A key in the properties file given with {@code --config}. */
  record ConfigFile(Path path) implements Source {
    public ConfigFile {
      requireNonNull(path, "path is null");
    }

    @Override
    public String describe() {
      return path.toString();
    }
  }

  /** An environment variable such as {@code DURABLE_URL}. */
  record Environment(String variable) implements Source {
    public Environment {
      requireNonNull(variable, "variable is null");
    }

    @Override
    public String describe() {
      return variable;
    }
  }

  /** A {@code --set name=value} flag. */
  record CommandLine() implements Source {
    @Override
    public String describe() {
      return "--set";
    }
  }
}
