package dev.durablesql.engine.http;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.dashboard.DashboardException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a role name and password the only way that means anything: by logging in to the database
 * with them, then closing the connection. PostgreSQL's pg_hba.conf decides; the password is not
 * kept. A few checks run at a time, so that the sign-in form cannot be used to exhaust the server's
 * connections.
 */
final class PasswordCheck {
  private static final Logger log = LoggerFactory.getLogger(PasswordCheck.class);
  private static final int CONCURRENT_CHECKS = 4;

  private final String jdbcUrl;
  private final Semaphore checks = new Semaphore(CONCURRENT_CHECKS, true);

  PasswordCheck(String jdbcUrl) {
    this.jdbcUrl = requireNonNull(jdbcUrl, "jdbcUrl is null");
  }

  /**
   * Whether PostgreSQL lets {@code role} log in with {@code password}.
   *
   * @throws DashboardException of kind UNAVAILABLE when the database cannot be asked
   */
  boolean accepts(String role, String password) throws InterruptedException {
    if (!checks.tryAcquire(10, TimeUnit.SECONDS)) {
      throw new DashboardException(
          DashboardException.Kind.UNAVAILABLE,
          CONCURRENT_CHECKS + " sign-ins were being checked for 10 s; try again",
          null);
    }
    try (Connection connection = DriverManager.getConnection(jdbcUrl, properties(role, password));
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT session_user::text")) {
      row.next();
      if (!role.equals(row.getString(1))) {
        // A user= in the engine's URL wins over ours: never take its login for the role's.
        log.warn(
            "Dashboard sign-in as {} logged in as {}; remove user= from the engine's url setting",
            role,
            row.getString(1));
        return false;
      }
      return true;
    } catch (SQLException e) {
      String state = e.getSQLState() == null ? "" : e.getSQLState();
      if (state.startsWith("28")) {
        log.info("Dashboard sign-in as {} refused by PostgreSQL: {}", role, e.getMessage());
        return false;
      }
      throw new DashboardException(
          DashboardException.Kind.UNAVAILABLE,
          "cannot check the sign-in: the database did not answer (" + e.getMessage() + ")",
          e);
    } finally {
      checks.release();
    }
  }

  private static Properties properties(String role, String password) {
    Properties properties = new Properties();
    properties.setProperty("user", role);
    properties.setProperty("password", password);
    properties.setProperty("ApplicationName", "durable-sql:dashboard-sign-in");
    properties.setProperty("connectTimeout", "10");
    properties.setProperty("socketTimeout", "10");
    return properties;
  }
}
