package dev.durablesql.engine.testing;

import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.embedded.EmbeddedCluster;
import dev.durablesql.engine.schema.SchemaInstaller;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real PostgreSQL for tests. One embedded PostgreSQL 17 per test JVM (or the server named by
 * {@code DURABLE_TEST_JDBC_URL}, connected to as a superuser), a template database with the df
 * schema installed once, and a fresh copy of it for every test class ({@code CREATE DATABASE ...
 * TEMPLATE}). The login roles {@link #ALICE} and {@link #BOB} exist with df usage; steps log in as
 * them, so the server must let them in without a password (trust on loopback, as embedded).
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback {
  public static final String ALICE = "alice";
  public static final String BOB = "bob";
  private static final String TEMPLATE = "df_template";
  private static final AtomicInteger databases = new AtomicInteger();
  private static final ReentrantLock setup = new ReentrantLock();
  private static String serverUrl; // jdbc:postgresql://host:port/ with a trailing slash
  private static String superuser;

  private String database;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    startServerOnce();
    database = "test_" + databases.incrementAndGet() + "_" + ProcessHandle.current().pid();
    try (Connection admin = connect("postgres", superuser);
        Statement statement = admin.createStatement()) {
      statement.execute("CREATE DATABASE " + database + " TEMPLATE " + TEMPLATE);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try (Connection admin = connect("postgres", superuser);
        Statement statement = admin.createStatement()) {
      statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
  }

  private static void startServerOnce() throws IOException, SQLException {
    setup.lock();
    try {
      if (serverUrl != null) {
        return;
      }
      String external = System.getenv("DURABLE_TEST_JDBC_URL");
      if (external != null && !external.isBlank()) {
        int slash = external.indexOf('/', "jdbc:postgresql://".length());
        serverUrl = external.substring(0, slash + 1);
        superuser = System.getenv().getOrDefault("DURABLE_TEST_USER", "postgres");
      } else {
        Path dataDirectory = Files.createTempDirectory("durable-test-pg");
        EmbeddedCluster cluster = EmbeddedCluster.start(dataDirectory.resolve("data"), 0);
        serverUrl = "jdbc:postgresql://127.0.0.1:" + cluster.port() + "/";
        superuser = cluster.superuser();
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close));
      }
      prepareTemplate();
    } finally {
      setup.unlock();
    }
  }

  private static void prepareTemplate() throws SQLException {
    try (Connection admin = connect("postgres", superuser);
        Statement statement = admin.createStatement()) {
      statement.execute("DROP DATABASE IF EXISTS " + TEMPLATE + " WITH (FORCE)");
      statement.execute("CREATE DATABASE " + TEMPLATE);
      for (String role : new String[] {ALICE, BOB}) {
        statement.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '"
                + role
                + "') THEN CREATE ROLE "
                + role
                + " LOGIN; END IF; END $$");
      }
    }
    new SchemaInstaller(dataSource(TEMPLATE, superuser)).install();
    try (Connection template = connect(TEMPLATE, superuser);
        Statement statement = template.createStatement()) {
      statement.execute("SELECT df.grant_usage('" + ALICE + "')");
      statement.execute("SELECT df.grant_usage('" + BOB + "')");
      statement.execute("GRANT CREATE ON SCHEMA public TO " + ALICE + ", " + BOB);
    }
  }

  private static Connection connect(String database, String user) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", user);
    return DriverManager.getConnection(serverUrl + database, properties);
  }

  private static PGSimpleDataSource dataSource(String database, String user) {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setUrl(serverUrl + database);
    dataSource.setUser(user);
    return dataSource;
  }

  /** The class's database, without a user. */
  public String jdbcUrl() {
    return serverUrl + database;
  }

  public String databaseName() {
    return database;
  }

  public String superuser() {
    return superuser;
  }

  /** Superuser connections to the class's database (bypassing RLS). */
  public DataSource dataSource() {
    return dataSource(database, superuser);
  }

  /** A connection logged in as {@code role} to the class's database. */
  public Connection connectAs(String role) throws SQLException {
    return connect(database, role);
  }

  /** A connection to another database of the same server, as the superuser. */
  public Connection connectToDatabase(String otherDatabase) throws SQLException {
    return connect(otherDatabase, superuser);
  }

  /** An engine configuration for the class's database with short leases for fast takeovers. */
  public EngineConfig engineConfig(String engineName) {
    return EngineConfig.defaults(jdbcUrl())
        .withUser(superuser)
        .withEngineName(engineName)
        .withLease(Duration.ofSeconds(3), Duration.ofMillis(500));
  }
}
