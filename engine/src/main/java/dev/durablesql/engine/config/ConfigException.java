package dev.durablesql.engine.config;

import java.io.Serial;

/**
 * A setting that is unknown, malformed, out of range or missing. The message is written for the
 * person running {@code durable}: it names the setting, the value, where the value came from and
 * how to fix it, so the CLI prints it as is and exits without a stack trace.
 */
public final class ConfigException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
