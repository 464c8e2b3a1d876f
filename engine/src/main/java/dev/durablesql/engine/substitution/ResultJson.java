package dev.durablesql.engine.substitution;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.Optional;

/** Reads stored result text as JSON, keeping key order and the exact digits of numbers. */
final class ResultJson {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          // Decimal digits must come back as they were stored, trailing zeros included.
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          // "{} x" is not JSON; without this Jackson would read the object and ignore the rest.
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private ResultJson() {}

  /** The JSON value of {@code text}, or empty when the text is not one JSON value. */
  static Optional<JsonNode> parse(String text) {
    try {
      JsonNode node = MAPPER.readTree(text);
      // Blank text reads as a missing node rather than failing.
      return node == null || node.isMissingNode() ? Optional.empty() : Optional.of(node);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Compact JSON text of {@code node}. */
  static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (IOException e) {
      // A tree read by this mapper always writes back; reaching here is a bug, not bad data.
      throw new IllegalStateException("Could not write a JSON value read from a result", e);
    }
  }
}
