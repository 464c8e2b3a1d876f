package dev.durablesql.engine.dashboard;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.durablesql.engine.dashboard.DashboardException.Kind;
import dev.durablesql.engine.step.RoleConnections;
import dev.durablesql.engine.step.StepConnectionException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The dashboard's reads and actions. Each call is one transaction on a connection logged in as the
 * signed-in role (never the engine's own role), so RLS and grants decide what it sees and may do,
 * exactly as in psql: another role's instance behaves like one that does not exist.
 */
public final class DashboardQueries {
  private static final Pattern INSTANCE_ID = Pattern.compile("[0-9a-f]{8}");
  private static final String NOT_VISIBLE = "not found or access denied";

  /** Longest node result or output text sent to the browser; the rest is cut. */
  private static final int MAX_TEXT = 65_536;

  private final RoleConnections connections;
  private final Rows rows;
  private final Duration statementTimeout;

  public DashboardQueries(
      RoleConnections connections, ObjectMapper json, Duration statementTimeout) {
    this.connections = requireNonNull(connections, "connections is null");
    this.rows = new Rows(requireNonNull(json, "json is null"));
    this.statementTimeout = requireNonNull(statementTimeout, "statementTimeout is null");
  }

  /**
   * One page of the instances {@code role} can see, newest first: {@code instances}, {@code
   * nextCursor} (null on the last page) and {@code counts} per status under the same filter
   * (without its status and cursor).
   */
  public ObjectNode instances(String role, InstanceFilter filter) {
    return asRole(
        role,
        connection -> {
          Where where = where(connection, filter);
          ObjectNode page = rows.object();
          ArrayNode instances = page.putArray("instances");
          List<Object> parameters = new ArrayList<>(where.parameters());
          parameters.addAll(where.pageParameters());
          parameters.add(filter.limit() + 1);
          String sql =
              """
              WITH page AS (
                SELECT i.id, i.label, i.status, i.submitted_by::text AS role, i.database,
                       i.created_at AS created, to_json(i.created_at) #>> '{}' AS "createdAt",
                       to_json(i.updated_at) #>> '{}' AS "updatedAt",
                       to_json(i.completed_at) #>> '{}' AS "completedAt",
                       df_engine.list_cursor(i.created_at, i.id) AS cursor
                  FROM df.instances i
                 WHERE %s
                 ORDER BY i.created_at DESC, i.id
                 LIMIT ?)
              SELECT p.id, p.label, p.status, p.role, p.database, p."createdAt", p."updatedAt",
                     p."completedAt", p.cursor, s.execution_count AS "executionCount",
                     left(s.output, 300) AS output
                FROM page p
                LEFT JOIN df_engine.instance_summaries(ARRAY(SELECT id::text FROM page)) s
                       ON s.instance_id = p.id
               ORDER BY p.created DESC, p.id
              """
                  .formatted(where.pageSql());
          String nextCursor = null;
          try (PreparedStatement statement = prepare(connection, sql, parameters);
              ResultSet result = statement.executeQuery()) {
            while (result.next()) {
              if (instances.size() == filter.limit()) {
                nextCursor = instances.get(instances.size() - 1).path("cursor").asText();
                break;
              }
              instances.add(rows.current(result));
            }
          }
          page.put("nextCursor", nextCursor);
          ObjectNode counts = page.putObject("counts");
          for (String status : List.of("pending", "running", "completed", "failed", "cancelled")) {
            counts.put(status, 0);
          }
          try (PreparedStatement statement =
                  prepare(
                      connection,
                      "SELECT i.status, count(*) FROM df.instances i WHERE "
                          + where.countSql()
                          + " GROUP BY i.status",
                      where.parameters());
              ResultSet result = statement.executeQuery()) {
            while (result.next()) {
              counts.put(result.getString(1), result.getLong(2));
            }
          }
          return page;
        });
  }

  /**
   * One instance as {@code role} sees it: {@code instance} (the df.instances row with its execution
   * count and output), {@code nodes} (df.instance_nodes in walk order, with inferred statuses),
   * {@code policies}, {@code attempts}, {@code events} and {@code signals}.
   *
   * @throws DashboardException of kind NOT_FOUND when the role cannot see it
   */
  public ObjectNode instance(String role, String id) {
    requireInstanceId(id);
    return asRole(
        role,
        connection -> {
          ObjectNode page = rows.object();
          ArrayNode instance =
              list(
                  connection,
                  """
                  SELECT i.id, i.label, i.status, i.submitted_by::text AS role, i.database,
                         i.root_node AS "rootNode", to_json(i.created_at) #>> '{}' AS "createdAt",
                         to_json(i.updated_at) #>> '{}' AS "updatedAt",
                         to_json(i.completed_at) #>> '{}' AS "completedAt",
                         s.execution_count AS "executionCount", left(s.output, ?) AS output
                    FROM df.instances i
                    LEFT JOIN df_engine.instance_summaries(ARRAY[?]) s ON s.instance_id = i.id
                   WHERE i.id = ?
                  """,
                  MAX_TEXT,
                  id,
                  id);
          if (instance.isEmpty()) {
            throw new DashboardException(
                Kind.NOT_FOUND, "instance " + id + " " + NOT_VISIBLE, null);
          }
          page.set("instance", instance.get(0));
          page.set(
              "nodes",
              list(
                  connection,
                  """
                  SELECT x.node_id AS id, x.node_type AS type, x.query, x.result_name AS "resultName",
                         x.left_node AS "left", x.right_node AS "right", x.status,
                         x.inferred_status AS "inferredStatus",
                         x.inferred_status_from_ancestor_id AS "inferredFrom",
                         left(x.result, ?) AS result, length(x.result) AS "resultLength",
                         x.status_details::jsonb AS "statusDetails",
                         to_json(n.created_at) #>> '{}' AS "createdAt",
                         to_json(x.updated_at) #>> '{}' AS "updatedAt"
                    FROM df.instance_nodes(?) WITH ORDINALITY x
                    LEFT JOIN df.nodes n ON n.instance_id = ? AND n.id = x.node_id
                   ORDER BY x.ordinality
                  """,
                  MAX_TEXT,
                  id,
                  id));
          page.set(
              "policies",
              list(
                  connection,
                  "SELECT node_id AS \"nodeId\", policy FROM df_engine.visible_node_policies"
                      + " WHERE instance_id = ?",
                  id));
          page.set(
              "attempts",
              list(
                  connection,
                  """
                  SELECT node_id AS "nodeId", attempts, last_error AS "lastError", stamp,
                         to_json(updated_at) #>> '{}' AS "updatedAt"
                    FROM df_engine.visible_node_attempts WHERE instance_id = ?
                  """,
                  id));
          page.set(
              "events",
              list(
                  connection,
                  """
                  SELECT id, to_json(at) #>> '{}' AS at, engine, kind, node_id AS "nodeId", detail
                    FROM df_engine.visible_events WHERE instance_id = ?
                   ORDER BY id DESC LIMIT 500
                  """,
                  id));
          page.set(
              "signals",
              list(
                  connection,
                  """
                  SELECT id, name, payload, sent_by::text AS "sentBy",
                         to_json(sent_at) #>> '{}' AS "sentAt",
                         to_json(consumed_at) #>> '{}' AS "consumedAt"
                    FROM df_engine.visible_signals WHERE instance_id = ?
                   ORDER BY id DESC LIMIT 200
                  """,
                  id));
          return page;
        });
  }

  /**
   * Sends signal {@code name} with {@code payload} (JSON text, or any text, delivered as a string)
   * through {@code df.signal} as {@code role}; returns its answer.
   */
  public String signal(String role, String id, String name, String payload) {
    requireInstanceId(id);
    if (name == null || name.isBlank()) {
      throw new DashboardException(Kind.INVALID, "a signal needs a name", null);
    }
    return asRole(
        role,
        connection ->
            single(
                connection,
                "SELECT df.signal(?, ?, ?)",
                id,
                name.strip(),
                payload == null || payload.isBlank() ? "{}" : payload));
  }

  /** Cancels through {@code df.cancel} as {@code role}; returns its answer. */
  public String cancel(String role, String id, String reason) {
    requireInstanceId(id);
    String why = reason == null || reason.isBlank() ? "Cancelled from the dashboard" : reason;
    return asRole(role, connection -> single(connection, "SELECT df.cancel(?, ?)", id, why));
  }

  private static void requireInstanceId(String id) {
    if (id == null || !INSTANCE_ID.matcher(id).matches()) {
      throw new DashboardException(
          Kind.NOT_FOUND, "instance " + id + " " + NOT_VISIBLE + " (ids are 8 hex digits)", null);
    }
  }

  /** The conditions of a filter: for counting (no status, no cursor) and for the page. */
  private record Where(
      String countSql, List<Object> parameters, String pageSql, List<Object> pageParameters) {}

  private Where where(Connection connection, InstanceFilter filter) throws SQLException {
    List<String> conditions = new ArrayList<>();
    List<Object> parameters = new ArrayList<>();
    conditions.add("true");
    filter
        .label()
        .ifPresent(label -> {
          conditions.add("strpos(lower(i.label), lower(?)) > 0");
          parameters.add(label);
        });
    filter
        .role()
        .ifPresent(role -> {
          conditions.add(
              "i.submitted_by::oid = (SELECT r.oid FROM pg_roles r WHERE r.rolname = ?)");
          parameters.add(role);
        });
    filter
        .createdAfter()
        .ifPresent(after -> {
          conditions.add("i.created_at >= ?::timestamptz");
          parameters.add(after);
        });
    filter
        .createdBefore()
        .ifPresent(before -> {
          conditions.add("i.created_at < ?::timestamptz");
          parameters.add(before);
        });
    List<String> page = new ArrayList<>(conditions);
    List<Object> pageParameters = new ArrayList<>();
    if (filter.status().isPresent()) {
      page.add("i.status = ?");
      pageParameters.add(filter.status().get());
    }
    if (filter.after().isPresent()) {
      // The cursor of df.list_instances (R-MON-4), checked by its own parser.
      try (PreparedStatement statement =
              prepare(
                  connection,
                  "SELECT created_at::text, instance_id FROM df_engine.parse_list_cursor(?)",
                  List.of(filter.after().get()));
          ResultSet cursor = statement.executeQuery()) {
        cursor.next();
        page.add("(i.created_at < ?::timestamptz OR (i.created_at = ?::timestamptz AND i.id > ?))");
        pageParameters.add(cursor.getString(1));
        pageParameters.add(cursor.getString(1));
        pageParameters.add(cursor.getString(2));
      }
    }
    return new Where(
        String.join(" AND ", conditions), parameters, String.join(" AND ", page), pageParameters);
  }

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  private <T> T asRole(String role, Work<T> work) {
    try (RoleConnections.StepConnection step = connections.open(role, Optional.empty())) {
      Connection connection = step.connection();
      connection.setAutoCommit(false);
      String loggedInAs =
          single(
              connection,
              "SELECT current_user::text, set_config('statement_timeout', ?, true)",
              Long.toString(statementTimeout.toMillis()));
      if (!role.equals(loggedInAs)) {
        // A user name in the JDBC URL would win over the pool's; never answer as another role.
        throw new DashboardException(
            Kind.UNAVAILABLE,
            "the dashboard's connection for role "
                + role
                + " is logged in as "
                + loggedInAs
                + "; remove user= from the engine's url setting",
            null);
      }
      T result = work.run(connection);
      connection.commit();
      return result;
    } catch (StepConnectionException e) {
      throw new DashboardException(Kind.UNAVAILABLE, e.getMessage(), e);
    } catch (SQLException e) {
      throw translate(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DashboardException(Kind.UNAVAILABLE, "the engine is stopping", e);
    }
  }

  private static DashboardException translate(SQLException e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (message.contains(NOT_VISIBLE)) {
      return new DashboardException(Kind.NOT_FOUND, message, e);
    }
    if (state.startsWith("22") || message.contains("invalid after_cursor")) {
      return new DashboardException(Kind.INVALID, message, e);
    }
    if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")) {
      return new DashboardException(Kind.UNAVAILABLE, message, e);
    }
    return new DashboardException(Kind.FAILED, message, e);
  }

  private ArrayNode list(Connection connection, String sql, Object... parameters)
      throws SQLException {
    try (PreparedStatement statement = prepare(connection, sql, List.of(parameters));
        ResultSet result = statement.executeQuery()) {
      return rows.all(result);
    }
  }

  private static String single(Connection connection, String sql, Object... parameters)
      throws SQLException {
    try (PreparedStatement statement = prepare(connection, sql, List.of(parameters));
        ResultSet result = statement.executeQuery()) {
      return result.next() ? result.getString(1) : null;
    }
  }

  private static PreparedStatement prepare(
      Connection connection, String sql, List<Object> parameters) throws SQLException {
    PreparedStatement statement = connection.prepareStatement(sql);
    for (int i = 0; i < parameters.size(); i++) {
      statement.setObject(i + 1, parameters.get(i));
    }
    return statement;
  }
}
