package dev.durablesql.engine.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;

/**
 * Turns result rows into JSON objects keyed by column label: numbers and booleans as such, json and
 * jsonb columns parsed, everything else as text. Queries give timestamps as ISO text ({@code
 * to_json(ts) #>> '{}'}) so that the browser can parse them.
 */
final class Rows {
  private final ObjectMapper json;

  Rows(ObjectMapper json) {
    this.json = json;
  }

  /** A new, empty object to build a response in. */
  ObjectNode object() {
    return json.createObjectNode();
  }

  ArrayNode all(ResultSet rows) throws SQLException {
    ArrayNode list = json.createArrayNode();
    while (rows.next()) {
      list.add(current(rows));
    }
    return list;
  }

  ObjectNode current(ResultSet rows) throws SQLException {
    ResultSetMetaData columns = rows.getMetaData();
    ObjectNode row = json.createObjectNode();
    for (int i = 1; i <= columns.getColumnCount(); i++) {
      String name = columns.getColumnLabel(i);
      String text = rows.getString(i);
      if (text == null) {
        row.putNull(name);
        continue;
      }
      switch (columns.getColumnType(i)) {
        case Types.INTEGER, Types.BIGINT, Types.SMALLINT -> row.put(name, rows.getLong(i));
        case Types.BOOLEAN, Types.BIT -> row.put(name, rows.getBoolean(i));
        default -> {
          String type = columns.getColumnTypeName(i);
          if (type.equals("json") || type.equals("jsonb")) {
            row.set(name, parse(text));
          } else {
            row.put(name, text);
          }
        }
      }
    }
    return row;
  }

  /** A JSON column's value; text that does not parse (it always should) stays text. */
  JsonNode parse(String text) {
    try {
      return json.readTree(text);
    } catch (JsonProcessingException e) {
      return json.getNodeFactory().textNode(text);
    }
  }
}
