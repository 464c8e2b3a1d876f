package dev.durablesql.engine.schema;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.EngineException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies pending schema files under a PostgreSQL advisory lock, each in its own transaction, and
 * records them in {@code df_engine.schema_migrations}. Safe to run again and from several engines
 * at once: the lock serialises installers, and the record makes every file apply once (repeatable
 * files: once per text).
 */
public final class SchemaInstaller {
  private static final Logger log = LoggerFactory.getLogger(SchemaInstaller.class);

  /** Advisory lock key: "dfschema" in ASCII, so that it is recognisable in pg_locks. */
  static final long LOCK_KEY = 0x6466736368656d61L;

  private final DataSource dataSource;
  private final List<Migration> migrations;

  public SchemaInstaller(DataSource dataSource) {
    this(dataSource, MigrationCatalog.load(SchemaInstaller.class.getClassLoader()));
  }

  SchemaInstaller(DataSource dataSource, List<Migration> migrations) {
    this.dataSource = requireNonNull(dataSource, "dataSource is null");
    this.migrations = List.copyOf(requireNonNull(migrations, "migrations is null"));
  }

  /** What an installation did. */
  public record Result(int applied, int upToDate, String schemaVersion) {}

  /** Applies what is pending; returns how many files were applied. */
  public Result install() {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(true);
      lock(connection);
      try {
        prepareVersionTable(connection);
        Map<String, String> applied = appliedChecksums(connection);
        refuseForeignSchema(connection, applied);
        int count = 0;
        for (Migration migration : migrations) {
          String recorded = applied.get(migration.fileName());
          if (recorded == null) {
            apply(connection, migration);
            count++;
          } else if (!recorded.equals(migration.checksum())) {
            if (migration.isRepeatable()) {
              apply(connection, migration);
              count++;
            } else {
              log.warn(
                  "Schema file {} differs from the one applied to this database; it is not applied"
                      + " again (versioned files run once)",
                  migration.fileName());
            }
          }
        }
        String version = latestVersion();
        if (count > 0) {
          log.info("Schema df installed: {} file(s) applied, now at {}", count, version);
        } else {
          log.info("Schema df is up to date at {}", version);
        }
        return new Result(count, migrations.size() - count, version);
      } finally {
        unlock(connection);
      }
    } catch (SQLException e) {
      throw new EngineException(describe(e), e);
    }
  }

  /**
   * The files {@link #install()} would apply now, without changing anything; all of them when the
   * schema is not installed at all.
   */
  public List<String> pendingFiles() {
    try (Connection connection = dataSource.getConnection()) {
      Map<String, String> applied = new HashMap<>();
      try (Statement statement = connection.createStatement();
          ResultSet exists =
              statement.executeQuery(
                  "SELECT to_regclass('df_engine.schema_migrations') IS NOT NULL")) {
        exists.next();
        if (exists.getBoolean(1)) {
          applied = appliedChecksums(connection);
        }
      }
      Map<String, String> recorded = applied;
      return migrations.stream()
          .filter(m ->
              !recorded.containsKey(m.fileName())
                  || (m.isRepeatable() && !recorded.get(m.fileName()).equals(m.checksum())))
          .map(Migration::fileName)
          .toList();
    } catch (SQLException e) {
      throw new EngineException(describe(e), e);
    }
  }

  private String latestVersion() {
    return migrations.stream()
        .filter(m -> !m.isRepeatable())
        .reduce((first, second) -> second)
        .map(m -> m.fileName().substring(0, 4))
        .orElse("V000");
  }

  private static void lock(Connection connection) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_lock(?)")) {
      statement.setLong(1, LOCK_KEY);
      statement.execute();
    }
  }

  private static void unlock(Connection connection) throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
      statement.setLong(1, LOCK_KEY);
      statement.execute();
    }
  }

  private static void prepareVersionTable(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute("CREATE SCHEMA IF NOT EXISTS df_engine");
      statement.execute(
          """
          CREATE TABLE IF NOT EXISTS df_engine.schema_migrations (
              file_name   text PRIMARY KEY,
              checksum    text NOT NULL,
              applied_at  timestamptz NOT NULL DEFAULT now(),
              applied_by  text NOT NULL DEFAULT current_user,
              duration_ms bigint NOT NULL
          )\
          """);
    }
  }

  private static Map<String, String> appliedChecksums(Connection connection) throws SQLException {
    Map<String, String> applied = new HashMap<>();
    try (Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery("SELECT file_name, checksum FROM df_engine.schema_migrations")) {
      while (rows.next()) {
        applied.put(rows.getString(1), rows.getString(2));
      }
    }
    return applied;
  }

  private static void refuseForeignSchema(Connection connection, Map<String, String> applied)
      throws SQLException {
    if (!applied.isEmpty()) {
      return;
    }
    try (Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery("SELECT 1 FROM pg_namespace WHERE nspname = 'df'")) {
      if (rows.next()) {
        throw new EngineException(
            "schema df already exists in database "
                + connection.getCatalog()
                + " but was not installed by durable-sql (df_engine.schema_migrations is empty);"
                + " drop it (DROP SCHEMA df CASCADE) or install into another database");
      }
    }
  }

  private static void apply(Connection connection, Migration migration) throws SQLException {
    long started = System.nanoTime();
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      statement.setEscapeProcessing(false);
      statement.execute(migration.sql());
      try (PreparedStatement record =
          connection.prepareStatement(
              """
              INSERT INTO df_engine.schema_migrations (file_name, checksum, duration_ms)
              VALUES (?, ?, ?)
              ON CONFLICT (file_name) DO UPDATE
                 SET checksum = EXCLUDED.checksum, applied_at = now(),
                     applied_by = current_user, duration_ms = EXCLUDED.duration_ms\
              """)) {
        record.setString(1, migration.fileName());
        record.setString(2, migration.checksum());
        record.setLong(3, (System.nanoTime() - started) / 1_000_000);
        record.executeUpdate();
      }
      connection.commit();
      log.info("Applied schema file {}", migration.fileName());
    } catch (SQLException e) {
      connection.rollback();
      throw new SQLException(
          "schema file " + migration.fileName() + " failed: " + e.getMessage(), e.getSQLState(), e);
    } finally {
      connection.setAutoCommit(true);
    }
  }

  private static String describe(SQLException e) {
    if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
      return "cannot connect to the database to install the df schema: "
          + e.getMessage()
          + ". Check that PostgreSQL runs there and that the role may log in";
    }
    if ("42501".equals(e.getSQLState())) {
      return "cannot install the df schema: "
          + e.getMessage()
          + ". The installing role needs CREATE on the database (GRANT CREATE ON DATABASE <db> TO"
          + " <role>); it need not be a superuser (docs/schema-installer.md)";
    }
    return "cannot install the df schema: " + e.getMessage();
  }
}
