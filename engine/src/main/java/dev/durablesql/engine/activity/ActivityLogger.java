package dev.durablesql.engine.activity;

import static java.util.Objects.requireNonNull;

import java.text.MessageFormat;
import java.util.ResourceBundle;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link System.Logger} activities get: messages go to the engine's SLF4J log under {@code
 * dev.durablesql.activity.<type>}, prefixed with the instance and node, so that a plugin needs no
 * logging library of its own.
 */
final class ActivityLogger implements System.Logger {
  private final Logger log;
  private final String prefix;

  ActivityLogger(String type, String instanceId, String nodeId) {
    this.log = LoggerFactory.getLogger("dev.durablesql.activity." + requireNonNull(type));
    this.prefix = "[" + instanceId + "/" + nodeId + "] ";
  }

  @Override
  public String getName() {
    return log.getName();
  }

  @Override
  public boolean isLoggable(Level level) {
    return switch (level) {
      case ALL, TRACE -> log.isTraceEnabled();
      case DEBUG -> log.isDebugEnabled();
      case INFO -> log.isInfoEnabled();
      case WARNING -> log.isWarnEnabled();
      case ERROR -> log.isErrorEnabled();
      case OFF -> false;
    };
  }

  @Override
  public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
    write(level, message, thrown);
  }

  @Override
  public void log(Level level, ResourceBundle bundle, String format, Object... parameters) {
    if (!isLoggable(level)) {
      return;
    }
    String text =
        parameters == null || parameters.length == 0
            ? format
            : new MessageFormat(format).format(parameters);
    write(level, text, null);
  }

  @Override
  public void log(Level level, Supplier<String> message, Throwable thrown) {
    if (isLoggable(level)) {
      write(level, message.get(), thrown);
    }
  }

  private void write(Level level, String message, Throwable thrown) {
    String text = prefix + message;
    switch (level) {
      case ALL, TRACE -> log.trace(text, thrown);
      case DEBUG -> log.debug(text, thrown);
      case INFO -> log.info(text, thrown);
      case WARNING -> log.warn(text, thrown);
      case ERROR -> log.error(text, thrown);
      case OFF -> {
        // Nothing is written.
      }
    }
  }
}
