package dev.durablesql.engine.surface;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The expected outputs of df.explain, kept whole in text files under {@code explain/} in the test
 * resources (tree lines keep their padding spaces), and the call that produces them.
 */
final class ExplainTexts {
  private ExplainTexts() {}

  /** The file's text without the one line break that ends the file. */
  static String expected(String name) {
    String resource = "/explain/" + name + ".txt";
    try (InputStream in = ExplainTexts.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + resource);
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    } catch (IOException e) {
      throw new UncheckedIOException("read " + resource, e);
    }
  }

  /** The file's text with every {@code {id}} replaced by the instance id. */
  static String expected(String name, String instanceId) {
    return expected(name).replace("{id}", instanceId);
  }

  static String explain(Connection connection, String input) throws SQLException {
    return Queries.text(connection, "SELECT df.explain(?)", input);
  }
}
