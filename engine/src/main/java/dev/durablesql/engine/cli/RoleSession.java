package dev.durablesql.engine.cli;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.EngineException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * The connection of a monitoring command, made exactly as {@code durable engine} makes its own
 * (same flags, settings and password sources), and used as that role: row-level security decides
 * which instances the command sees. Autocommit, so that every query sees what engines committed.
 */
final class RoleSession implements AutoCloseable {
  private static final String INSUFFICIENT_PRIVILEGE = "42501";

  private final Connection connection;
  private final String role;

  private RoleSession(Connection connection, String role) {
    this.connection = requireNonNull(connection, "connection is null");
    this.role = requireNonNull(role, "role is null");
  }

  static RoleSession open(ConfigOptions configOptions, ConnectionOptions options) {
    EngineConfig config = EngineSettings.engineConfig(configOptions.load(options.assignments()));
    Connection connection = EngineSettings.connect(config);
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT current_user")) {
      row.next();
      return new RoleSession(connection, row.getString(1));
    } catch (SQLException e) {
      closeQuietly(connection);
      throw failure("read the role of the connection", e);
    }
  }

  Connection connection() {
    return connection;
  }

  String role() {
    return role;
  }

  /** The instance's status, or empty when it does not exist or RLS hides it from this role. */
  Optional<String> status(InstanceId id) {
    try (PreparedStatement statement =
        connection.prepareStatement("SELECT status FROM df.instances WHERE id = ?")) {
      statement.setString(1, id.value());
      try (ResultSet row = statement.executeQuery()) {
        return row.next() ? Optional.of(row.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw failure("read instance " + id + " as role " + role, e);
    }
  }

  /** The instance's status; an error naming the id and the role when this role cannot see it. */
  String requireStatus(InstanceId id) {
    return status(id).orElseThrow(() -> notFound(id));
  }

  EngineException notFound(InstanceId id) {
    return new EngineException(
        "instance " + id + " not found (or not visible to role " + role + ")");
  }

  static boolean isTerminal(String status) {
    return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
  }

  /**
   * One line for a failed statement: the intent and PostgreSQL's own message, without the driver's
   * hint and position lines; a missing privilege says how to get it.
   */
  static EngineException failure(String intent, SQLException e) {
    String message = e.getMessage();
    if (e instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
      ServerErrorMessage server = psql.getServerErrorMessage();
      message = server.getMessage();
    }
    String advice =
        INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())
            ? " (the role needs df usage: SELECT df.grant_usage('<role>') as the schema owner)"
            : "";
    return new EngineException(
        intent + ": " + String.valueOf(message).lines().findFirst().orElse("") + advice, e);
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      // Already failing; the first error is the one to report.
    }
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw failure("close the connection", e);
    }
  }
}
