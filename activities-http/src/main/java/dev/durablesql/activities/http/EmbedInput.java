package dev.durablesql.activities.http;

import dev.durablesql.activity.ActivityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The texts of one {@code embed} step (R-EXT-5): one text, or a batch given as a JSON array of
 * strings.
 *
 * @param texts in input order; empty for an empty batch
 * @param single whether the input was one text rather than an array (sent as a JSON string)
 */
record EmbedInput(List<String> texts, boolean single) {

  EmbedInput {
    texts = List.copyOf(texts);
  }

  /**
   * Reads the substituted {@code input} of the step's config. A text whose whole content is a JSON
   * array (such as {@code ["a","b"]}, the text of a substituted {@code jsonb} array) is a batch;
   * every other text, including one that merely starts with {@code [}, is embedded as it is. A list
   * (from a raw {@code df.activity('embed', …)} config) is a batch too.
   *
   * @throws ActivityException (permanent) for a missing input, a value of another type, or a batch
   *     element that is not a string
   */
  static EmbedInput of(Object value) throws ActivityException {
    if (value instanceof String text) {
      if (text.strip().startsWith("[")) {
        try {
          if (JsonReader.parse(text) instanceof List<?> array) {
            return batch(array);
          }
        } catch (JsonReader.Malformed e) {
          // Not JSON: an ordinary text that happens to start with '['.
        }
      }
      return new EmbedInput(List.of(text), true);
    }
    if (value instanceof List<?> array) {
      return batch(array);
    }
    if (value == null) {
      throw ActivityException.permanent(
          "embed: the step has no input: pass a text or a JSON array of texts as df.embed's first"
              + " argument");
    }
    throw ActivityException.permanent(
        "embed: input must be a text or a JSON array of texts, got a " + typeOf(value));
  }

  private static EmbedInput batch(List<?> array) throws ActivityException {
    List<String> texts = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      if (!(array.get(i) instanceof String text)) {
        throw ActivityException.permanent(
            "embed: input element "
                + i
                + " is a "
                + typeOf(array.get(i))
                + ", not a string; a batch must be a JSON array of strings");
      }
      texts.add(text);
    }
    return new EmbedInput(texts, false);
  }

  /** The JSON type of a JSON-shaped value, for messages. */
  static String typeOf(Object value) {
    return switch (value) {
      case null -> "null";
      case String text -> "string";
      case Number number -> "number";
      case Boolean bool -> "boolean";
      case Map<?, ?> map -> "JSON object";
      case List<?> list -> "JSON array";
      default -> value.getClass().getSimpleName();
    };
  }
}
