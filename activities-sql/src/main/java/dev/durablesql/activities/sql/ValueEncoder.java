package dev.durablesql.activities.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.Locale;

/** Encodes one PostgreSQL value by the type rules of R-RES-1 and R-DIFF-5, from its text output. */
final class ValueEncoder {
  private ValueEncoder() {}

  /** The JSON for column {@code column} of the current row of {@code rs}. */
  static JsonNode encodeColumn(ResultSet rs, int column, String typeName) throws SQLException {
    if (typeName.equals("bytea")) {
      // With binary transfer, pgjdbc's getString gives byte[].toString(); getBytes reads both.
      byte[] bytes = rs.getBytes(column);
      return bytes == null ? NullNode.instance : base64(bytes);
    }
    return encode(typeName, rs.getString(column));
  }

  /**
   * The JSON for {@code text} of type {@code typeName} as pgjdbc names it ({@code int4}, {@code
   * _int4} for its array); {@code null} text is SQL NULL.
   */
  static JsonNode encode(String typeName, String text) {
    if (text == null) {
      return NullNode.instance;
    }
    try {
      return encodeText(typeName, text);
    } catch (RuntimeException e) {
      // R-DIFF-5: no column type fails a step. A value its type's rule cannot read (a user type
      // that shadows a built-in name, say) still has its text output.
      return TextNode.valueOf(text);
    }
  }

  private static JsonNode encodeText(String typeName, String text) {
    return switch (typeName) {
      case "bool" -> BooleanNode.valueOf(parseBoolean(text));
      // pgjdbc names integer columns with a sequence default after the serial pseudo-types.
      case "int2", "int4", "int8", "smallserial", "serial", "bigserial" ->
          LongNode.valueOf(Long.parseLong(text));
      case "float4" -> finiteNumber(Float.parseFloat(text));
      case "float8" -> finiteNumber(Double.parseDouble(text));
      case "numeric" -> TextNode.valueOf(plainDecimal(text));
      case "uuid" -> TextNode.valueOf(text.toLowerCase(Locale.ROOT));
      case "timestamptz" -> TextNode.valueOf(DateTimeText.timestampWithTimeZone(text));
      case "timestamp" -> TextNode.valueOf(DateTimeText.timestamp(text));
      case "date" -> TextNode.valueOf(DateTimeText.date(text));
      case "json", "jsonb" -> readJson(text);
      case "void" -> NullNode.instance;
      case "bytea" -> base64(ByteaText.decode(text));
      case "interval" -> TextNode.valueOf(IntervalText.toIso8601(text));
      default -> encodeOther(typeName, text);
    };
  }

  /** Arrays, and everything without a rule of its own: text types, time, enums, ranges... */
  private static JsonNode encodeOther(String typeName, String text) {
    String elementType = ArrayLiteral.elementTypeName(typeName);
    if (elementType == null) {
      return TextNode.valueOf(text);
    }
    return ArrayLiteral.parse(
        text, ArrayLiteral.delimiter(elementType), element -> encode(elementType, element));
  }

  private static boolean parseBoolean(String text) {
    return switch (text) {
      case "t", "true" -> true;
      case "f", "false" -> false;
      default -> throw new IllegalArgumentException("not a boolean: " + text);
    };
  }

  private static String plainDecimal(String text) {
    // PostgreSQL never prints an exponent; pgjdbc does for binary-transferred values (1E-9).
    return text.indexOf('E') >= 0 ? new BigDecimal(text).toPlainString() : text;
  }

  private static JsonNode base64(byte[] bytes) {
    return TextNode.valueOf(Base64.getEncoder().encodeToString(bytes));
  }

  private static JsonNode finiteNumber(double value) {
    return Double.isFinite(value) ? DoubleNode.valueOf(value) : NullNode.instance;
  }

  private static JsonNode readJson(String text) {
    try {
      return JsonText.READER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
  }
}
