package dev.durablesql.engine.run;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a SQL result ({@code {"rows":[…],"row_count":n}}) into the exact text of each row object,
 * so that a MAP row's {@code $item} keeps select-list order and the encoder's number spelling.
 */
final class EncodedRows {
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(Integer.MAX_VALUE)
                  .maxNumberLength(Integer.MAX_VALUE)
                  .maxStringLength(Integer.MAX_VALUE)
                  .maxNameLength(Integer.MAX_VALUE)
                  .maxDocumentLength(-1)
                  .build())
          .build();

  private EncodedRows() {}

  /** The text of each element of the result's {@code rows} array, in order. */
  static List<String> split(String result) {
    List<String> rows = new ArrayList<>();
    try (JsonParser parser = FACTORY.createParser(result)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a SQL result object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if (!field.equals("rows") || value != JsonToken.START_ARRAY) {
          parser.skipChildren();
          continue;
        }
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw new IllegalArgumentException("a row of a SQL result is not a JSON object");
          }
          int start = (int) parser.currentTokenLocation().getCharOffset();
          parser.skipChildren();
          int end = (int) parser.currentTokenLocation().getCharOffset() + 1;
          rows.add(result.substring(start, end));
        }
      }
      return rows;
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable rows of a MAP: " + e.getMessage(), e);
    }
  }
}
