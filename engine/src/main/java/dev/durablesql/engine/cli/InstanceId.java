package dev.durablesql.engine.cli;

import dev.durablesql.engine.EngineException;
import java.util.Locale;
import java.util.regex.Pattern;

/** An instance id as {@code df.start} returns it: eight lower-case hexadecimal digits. */
record InstanceId(String value) {
  private static final Pattern FORM = Pattern.compile("[0-9a-f]{8}");

  InstanceId {
    if (value == null || !FORM.matcher(value).matches()) {
      throw new IllegalArgumentException("not an instance id: " + value);
    }
  }

  /** The id typed on the command line (upper-case digits are accepted), or a one-line error. */
  static InstanceId of(String text) {
    String value = text.strip().toLowerCase(Locale.ROOT);
    if (!FORM.matcher(value).matches()) {
      throw new EngineException(
          "'"
              + text
              + "' is not an instance id: an id is the 8 hexadecimal digits that df.start"
              + " returns, such as 3f9a0c17");
    }
    return new InstanceId(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
