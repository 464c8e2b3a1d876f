package dev.durablesql.engine.step;

import static java.util.Objects.requireNonNull;
import static java.util.stream.Collectors.joining;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.durablesql.engine.metrics.PoolMeters;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections logged in as the submitting role (DESIGN.md §5), so that grants, RLS and {@code
 * current_user} inside a step are the submitter's. One small pool per role and database, created on
 * first use, and a global cap on step connections (max_user_connections, R-EXEC-8). Login uses the
 * driver's own mechanisms: trust or peer authentication, or a pgpass file (docs/authentication.md).
 * Each session is marked {@code df.in_workflow = true} (R-SEC-8) and reset (as DISCARD ALL does,
 * see {@link #RESET}) when it goes back to the pool, so no session state carries over between
 * steps.
 */
public final class RoleConnections implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RoleConnections.class);

  /**
   * What DISCARD ALL does, in one round trip, except DEALLOCATE ALL: that would also drop the
   * driver's server-side prepared statements (the checkpoint call among them), so every step would
   * parse and plan them again. Statements a step prepared with SQL PREPARE are deallocated by name.
   * RESET ALL also undoes SET ROLE and SET SESSION AUTHORIZATION, and restores df.in_workflow from
   * the session's startup options.
   */
  static final String RESET =
      "RESET ALL; CLOSE ALL; UNLISTEN *; SELECT pg_catalog.pg_advisory_unlock_all();"
          + " DISCARD SEQUENCES; DISCARD TEMP;"
          + " SELECT pg_catalog.quote_ident(name) FROM pg_catalog.pg_prepared_statements"
          + " WHERE from_sql";

  private final String jdbcUrl;
  private final int maxUserConnections;
  private final int maxConnectionsPerRole;
  private final Duration acquireTimeout;
  private final Optional<java.nio.file.Path> secrets;
  private final PoolMeters meters;
  private final Semaphore slots;
  private final Map<PoolKey, HikariDataSource> pools = new ConcurrentHashMap<>();

  /** Per pool: its size in permits, taken before a global slot. */
  private final Map<PoolKey, Semaphore> roleSlots = new ConcurrentHashMap<>();

  private final ReentrantLock creating = new ReentrantLock();
  private final Purpose purpose;

  private record PoolKey(String role, Optional<String> database) {}

  /**
   * What the connections are for: it names their pools and their {@code application_name}, and says
   * whether sessions carry the in-workflow marker (R-SEC-8).
   */
  public record Purpose(String poolPrefix, String applicationName, boolean inWorkflow) {
    /** SQL steps and activities of workflows. */
    public static final Purpose STEPS = new Purpose("df-steps-", "durable-sql:step", true);

    /** The dashboard's queries, run as the signed-in role. */
    public static final Purpose DASHBOARD =
        new Purpose("df-dashboard-", "durable-sql:dashboard", false);

    public Purpose {
      requireNonNull(poolPrefix, "poolPrefix is null");
      requireNonNull(applicationName, "applicationName is null");
    }
  }

  public RoleConnections(
      String jdbcUrl, int maxUserConnections, int maxConnectionsPerRole, Duration acquireTimeout) {
    this(
        jdbcUrl,
        maxUserConnections,
        maxConnectionsPerRole,
        acquireTimeout,
        Optional.empty(),
        PoolMeters.none());
  }

  /**
   * @param secrets a folder with one file per role, named after the role, holding its password;
   *     roles without a file log in without one (trust, peer or pgpass)
   * @param meters where each role's pool reports its use, tagged with the role
   */
  public RoleConnections(
      String jdbcUrl,
      int maxUserConnections,
      int maxConnectionsPerRole,
      Duration acquireTimeout,
      Optional<java.nio.file.Path> secrets,
      PoolMeters meters) {
    this(
        jdbcUrl,
        maxUserConnections,
        maxConnectionsPerRole,
        acquireTimeout,
        secrets,
        meters,
        Purpose.STEPS);
  }

  /** Connections for {@code purpose}, without pool metrics. */
  public RoleConnections(
      String jdbcUrl,
      int maxUserConnections,
      int maxConnectionsPerRole,
      Duration acquireTimeout,
      Optional<java.nio.file.Path> secrets,
      Purpose purpose) {
    this(
        jdbcUrl,
        maxUserConnections,
        maxConnectionsPerRole,
        acquireTimeout,
        secrets,
        PoolMeters.none(),
        purpose);
  }

  /**
   * @param secrets as above
   * @param meters where the pools report their use
   * @param purpose what the connections are for
   */
  public RoleConnections(
      String jdbcUrl,
      int maxUserConnections,
      int maxConnectionsPerRole,
      Duration acquireTimeout,
      Optional<java.nio.file.Path> secrets,
      PoolMeters meters,
      Purpose purpose) {
    this.purpose = requireNonNull(purpose, "purpose is null");
    this.secrets = requireNonNull(secrets, "secrets is null");
    this.meters = requireNonNull(meters, "meters is null");
    this.jdbcUrl = requireNonNull(jdbcUrl, "jdbcUrl is null");
    this.maxUserConnections = maxUserConnections;
    this.maxConnectionsPerRole = maxConnectionsPerRole;
    this.acquireTimeout = requireNonNull(acquireTimeout, "acquireTimeout is null");
    this.slots = new Semaphore(maxUserConnections, true);
  }

  /**
   * A connection as {@code role} to {@code database} (the df database when empty). A step first
   * waits for one of its role's own slots and only then for a global one, so that the steps of a
   * role with many instances queue among themselves and never hold more than
   * max-connections-per-role of the global slots: other roles find the rest free (R-EXT-7).
   */
  public StepConnection open(String role, Optional<String> database)
      throws StepConnectionException, InterruptedException {
    PoolKey key = new PoolKey(role, database);
    Semaphore roleSlots =
        this.roleSlots.computeIfAbsent(key, unused -> new Semaphore(maxConnectionsPerRole, true));
    long deadline = System.nanoTime() + acquireTimeout.toNanos();
    if (!roleSlots.tryAcquire(acquireTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
      throw new StepConnectionException(
          "connection limit reached: all max_connections_per_role="
              + maxConnectionsPerRole
              + " step connections of role "
              + role
              + " stayed busy for "
              + acquireTimeout.toSeconds()
              + "s (execution_acquire_timeout; max_user_connections="
              + maxUserConnections
              + ")",
          null);
    }
    if (!slots.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
      roleSlots.release();
      throw new StepConnectionException(
          "connection limit reached: all max_user_connections="
              + maxUserConnections
              + " step connections stayed busy for "
              + acquireTimeout.toSeconds()
              + "s (execution_acquire_timeout)",
          null);
    }
    Runnable release =
        () -> {
          slots.release();
          roleSlots.release();
        };
    try {
      HikariDataSource pool = pool(key);
      return new StepConnection(pool.getConnection(), pool, release);
    } catch (SQLException | RuntimeException e) {
      release.run();
      throw new StepConnectionException(
          "could not connect to database "
              + database.orElse("(the df database)")
              + " as role "
              + role
              + ": "
              + rootMessage(e)
              + authenticationHint(e),
          e);
    }
  }

  /** For a refused login (SQLSTATE class 28), what to check. */
  private static String authenticationHint(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof SQLException sql
          && sql.getSQLState() != null
          && sql.getSQLState().startsWith("28")) {
        return "; check that the role exists, has the LOGIN attribute, and that the engine can"
            + " authenticate as it (docs/authentication.md)";
      }
    }
    return "";
  }

  private HikariDataSource pool(PoolKey key) {
    HikariDataSource existing = pools.get(key);
    if (existing != null) {
      return existing;
    }
    creating.lock();
    try {
      HikariDataSource again = pools.get(key);
      if (again != null) {
        return again;
      }
      HikariDataSource created = create(key);
      pools.put(key, created);
      return created;
    } finally {
      creating.unlock();
    }
  }

  private HikariDataSource create(PoolKey key) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(
        purpose.poolPrefix() + key.role() + key.database().map(d -> "@" + d).orElse(""));
    config.setJdbcUrl(key.database().map(d -> withDatabase(jdbcUrl, d)).orElse(jdbcUrl));
    config.setUsername(key.role());
    secretOf(key.role()).ifPresent(config::setPassword);
    config.setMaximumPoolSize(maxConnectionsPerRole);
    config.setMinimumIdle(0);
    config.setIdleTimeout(60_000);
    config.setConnectionTimeout(acquireTimeout.toMillis());
    // Fails at once (not after the timeout) when the role cannot log in.
    config.setInitializationFailTimeout(1);
    config.addDataSourceProperty("ApplicationName", purpose.applicationName());
    if (purpose.inWorkflow()) {
      config.addDataSourceProperty("options", "-c df.in_workflow=true");
    }
    config.addDataSourceProperty("connectTimeout", "30");
    // Text results only: the row encoder reads every type from its text form.
    config.addDataSourceProperty("binaryTransfer", "false");
    meters.track(config, key.role(), key.database());
    return new HikariDataSource(config);
  }

  /**
   * The role's password from the secrets folder, read when its pool is created (so a changed
   * password needs an engine restart). A role name that is not a plain file name has no secret.
   */
  private Optional<String> secretOf(String role) {
    if (secrets.isEmpty() || role.contains("/") || role.startsWith(".")) {
      return Optional.empty();
    }
    java.nio.file.Path file = secrets.get().resolve(role);
    if (!java.nio.file.Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(java.nio.file.Files.readString(file).strip());
    } catch (java.io.IOException e) {
      log.warn("Cannot read the secret of role {} from {}: {}", role, file, e.getMessage());
      return Optional.empty();
    }
  }

  /** Replaces the database of a PostgreSQL JDBC URL, keeping host, port and parameters. */
  static String withDatabase(String jdbcUrl, String database) {
    int query = jdbcUrl.indexOf('?');
    String base = query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
    String parameters = query < 0 ? "" : jdbcUrl.substring(query);
    int slash = base.lastIndexOf('/');
    String prefix = base.substring(0, slash + 1);
    return prefix
        + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8)
        + parameters;
  }

  private static String rootMessage(Throwable e) {
    Throwable cause = e;
    while (cause instanceof HikariPool.PoolInitializationException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getMessage();
  }

  @Override
  public void close() {
    pools.values().forEach(HikariDataSource::close);
    pools.clear();
  }

  /**
   * Resets the session (see {@link #RESET}). The names of statements the step prepared with SQL
   * PREPARE come back with the reset, and only when there are some does a second round trip
   * deallocate them (a DO block looping over them every time cost more than the rest of the reset).
   */
  static void reset(Connection connection) throws SQLException {
    List<String> prepared;
    try (Statement reset = connection.createStatement()) {
      prepared = lastRows(reset, reset.execute(RESET));
    }
    if (!prepared.isEmpty()) {
      try (Statement deallocate = connection.createStatement()) {
        deallocate.execute(
            prepared.stream().map(name -> "DEALLOCATE " + name).collect(joining("; ")));
      }
    }
  }

  /**
   * Walks the results of a statement that ends with {@link #RESET} (maybe followed by results
   * without rows, such as a COMMIT's) and returns the first column of the last result with rows:
   * the names of the statements the step prepared with SQL PREPARE.
   *
   * @param rows what {@code execute} returned
   */
  static List<String> lastRows(Statement statement, boolean rows) throws SQLException {
    List<String> last = new ArrayList<>();
    while (rows || statement.getUpdateCount() != -1) {
      if (rows) {
        last.clear();
        try (ResultSet names = statement.getResultSet()) {
          while (names.next()) {
            last.add(names.getString(1));
          }
        }
      }
      rows = statement.getMoreResults();
    }
    return last;
  }

  /** A borrowed step connection; closing it resets the session and frees the slot. */
  public static final class StepConnection implements AutoCloseable {
    private final Connection connection;
    private final HikariDataSource pool;
    private final Runnable release;

    /** Whether the step's own transaction reset the session, so that none is due at close. */
    private boolean resetInTransaction;

    StepConnection(Connection connection, HikariDataSource pool, Runnable release) {
      this.connection = connection;
      this.pool = pool;
      this.release = release;
    }

    public Connection connection() {
      return connection;
    }

    /**
     * Records that the step's transaction reset the session (it sent {@link #RESET} before its
     * COMMIT, and the names it returned were none) and committed: closing then just returns the
     * connection.
     */
    void resetInTransaction() {
      resetInTransaction = true;
    }

    @Override
    public void close() {
      if (resetInTransaction) {
        returnToPool();
        return;
      }
      // The reset is a round trip the step's outcome does not wait for: the connection goes back
      // to the pool (and its slot is freed) when it is done, and until then no step can borrow it.
      Thread.ofVirtual().name("df-step-reset").start(this::resetAndReturn);
    }

    private void resetAndReturn() {
      try {
        if (!connection.isClosed()) {
          if (!connection.getAutoCommit()) {
            connection.rollback();
            connection.setAutoCommit(true);
          }
          reset(connection);
        }
      } catch (SQLException e) {
        // A session we cannot reset must not serve another step.
        log.debug("Evicting a step connection that could not be reset: {}", e.getMessage());
        pool.evictConnection(connection);
      } finally {
        returnToPool();
      }
    }

    private void returnToPool() {
      try {
        connection.close();
      } catch (SQLException e) {
        log.debug("Closing a step connection failed: {}", e.getMessage());
      }
      release.run();
    }
  }
}
