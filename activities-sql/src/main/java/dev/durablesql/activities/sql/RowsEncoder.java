package dev.durablesql.activities.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;

/**
 * Turns the rows of a SQL step into the step's result, {@code {"rows":[{...},...],"row_count":N}}
 * (SPEC.md R-RES-1 as amended by R-DIFF-5). Each row is an object keyed by column label in
 * select-list order; when two columns share a label, the later value wins and the key keeps the
 * place of the first. Values are encoded by PostgreSQL type name; a type without a rule of its own,
 * or a value that cannot be read by its type's rule, becomes its PostgreSQL text output, so no
 * column type makes encoding fail.
 *
 * <p>Reads the result set from its current position to the end and leaves it open; it never runs a
 * statement that changes the session the result set came from. Binary-transferred results (pgjdbc's
 * prepareThreshold) give the same JSON except for the text of types without a rule of their own,
 * such as {@code timetz} and {@code point}. Stateless; safe to call from any thread.
 */
public final class RowsEncoder {
  private static final String EMPTY = "{\"rows\":[],\"row_count\":0}";

  private RowsEncoder() {}

  /** The result of {@code rs} as compact JSON text; reads all remaining rows. */
  public static String encode(ResultSet rs) throws SQLException {
    return write(encodeTree(rs));
  }

  /** The result of {@code rs} as a JSON tree whose keys keep select-list order. */
  public static ObjectNode encodeTree(ResultSet rs) throws SQLException {
    ResultSetMetaData metaData = rs.getMetaData();
    int columnCount = metaData.getColumnCount();
    String[] labels = new String[columnCount + 1];
    String[] typeNames = new String[columnCount + 1];
    for (int column = 1; column <= columnCount; column++) {
      labels[column] = metaData.getColumnLabel(column);
      typeNames[column] = metaData.getColumnTypeName(column);
    }
    ArrayNode rows = JsonNodeFactory.instance.arrayNode();
    while (rs.next()) {
      ObjectNode row = rows.addObject();
      for (int column = 1; column <= columnCount; column++) {
        // ObjectNode keeps a replaced key where it was first put: the duplicate-name rule.
        row.set(labels[column], ValueEncoder.encodeColumn(rs, column, typeNames[column]));
      }
    }
    return result(rows);
  }

  /** The result of a statement that returns no result set, such as DDL or DML without RETURNING. */
  public static String empty() {
    return EMPTY;
  }

  private static String write(ObjectNode result) {
    try {
      return JsonText.WRITER.writeValueAsString(result);
    } catch (JsonProcessingException e) {
      // A tree of plain nodes always serializes; reaching here is a bug, not bad data.
      throw new IllegalStateException("Could not write a SQL step result as JSON", e);
    }
  }

  private static ObjectNode result(ArrayNode rows) {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.set("rows", rows);
    result.put("row_count", rows.size());
    return result;
  }
}
