package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.testing.PostgresExtension;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Grants, row-level security and the access gate of the df schema (SPEC.md §14). */
class SecurityTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  /** Column privileges a role holds on df tables beyond its table-wide ones. */
  private static final String COLUMN_PRIVILEGES =
      """
      SELECT c.relname || '.' || a.attname || ':' || p.privilege
        FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) AS p(privilege)
       WHERE c.relnamespace = 'df'::regnamespace AND c.relkind = 'r'
         AND has_column_privilege(?::name, c.oid, a.attnum, p.privilege)
         AND NOT has_table_privilege(?::name, c.oid, p.privilege)
       ORDER BY 1\
      """;

  /** Table-wide privileges a role holds on df tables. */
  private static final String TABLE_PRIVILEGES =
      """
      SELECT c.relname || ':' || p.privilege
        FROM pg_class c
       CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',
                               'TRIGGER']) AS p(privilege)
       WHERE c.relnamespace = 'df'::regnamespace AND c.relkind = 'r'
         AND has_table_privilege(?::name, c.oid, p.privilege)
       ORDER BY 1\
      """;

  private static final List<String> GRANTED_TABLE_PRIVILEGES =
      List.of(
          "instances:SELECT",
          "nodes:SELECT",
          "vars:DELETE",
          "vars:INSERT",
          "vars:SELECT",
          "vars:UPDATE");

  private static final List<String> GRANTED_COLUMN_PRIVILEGES =
      List.of(
          "instances.database:INSERT",
          "instances.id:INSERT",
          "instances.label:INSERT",
          "instances.root_node:INSERT",
          "instances.status:UPDATE",
          "instances.submitted_by:INSERT",
          "instances.updated_at:UPDATE",
          "nodes.database:INSERT",
          "nodes.id:INSERT",
          "nodes.instance_id:INSERT",
          "nodes.left_node:INSERT",
          "nodes.node_type:INSERT",
          "nodes.query:INSERT",
          "nodes.result_name:INSERT",
          "nodes.right_node:INSERT",
          "nodes.submitted_by:INSERT");

  private static String outsider;
  private static String newcomer;
  private static String delegate;

  private Connection alice;
  private Connection bob;

  @BeforeAll
  static void createRoles() throws SQLException {
    outsider = postgres.databaseName() + "_outsider";
    newcomer = postgres.databaseName() + "_newcomer";
    delegate = postgres.databaseName() + "_delegate";
    for (String role : List.of(outsider, newcomer, delegate)) {
      Queries.execute(postgres.dataSource(), "CREATE ROLE " + role + " LOGIN");
    }
  }

  @AfterAll
  static void dropRoles() throws SQLException {
    for (String role : List.of(outsider, newcomer, delegate)) {
      Queries.execute(postgres.dataSource(), "DROP OWNED BY " + role);
      Queries.execute(postgres.dataSource(), "DROP ROLE " + role);
    }
  }

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
    bob = postgres.connectAs(PostgresExtension.BOB);
  }

  @AfterEach
  void disconnect() throws SQLException {
    alice.close();
    bob.close();
  }

  @Test
  void otherRolesDoNotSeeAnInstanceOrItsNodes() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1' OPERATOR(df.~>) 'SELECT 2')");

    long bobsInstances = Queries.number(bob, "SELECT count(*) FROM df.instances WHERE id = ?", id);
    long bobsNodes = Queries.number(bob, "SELECT count(*) FROM df.nodes WHERE instance_id = ?", id);
    long alicesNodes =
        Queries.number(alice, "SELECT count(*) FROM df.nodes WHERE instance_id = ?", id);

    assertThat(bobsInstances).isZero();
    assertThat(bobsNodes).isZero();
    assertThat(alicesNodes).isEqualTo(3);
  }

  @Test
  void statusOfAnotherRolesInstanceIsNull() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1')");

    String seenByBob = Queries.text(bob, "SELECT df.status(?)", id);
    String seenByAlice = Queries.text(alice, "SELECT df.status(?)", id);

    assertThat(seenByBob).isNull();
    assertThat(seenByAlice).isEqualTo("pending");
  }

  @Test
  void otherRolesCannotUpdateAnInstancesStatus() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1')");

    Queries.execute(bob, "UPDATE df.instances SET status = 'cancelled' WHERE id = ?", id);

    assertThat(Queries.text(alice, "SELECT df.status(?)", id)).isEqualTo("pending");
  }

  @Test
  void otherRolesDoNotSeeVariables() throws SQLException {
    Queries.execute(alice, "INSERT INTO df.vars (name, value) VALUES ('secret', 's3cr3t')");

    List<String> seenByBob = Queries.column(bob, "SELECT value FROM df.vars");
    List<String> seenByAlice = Queries.column(alice, "SELECT value FROM df.vars");

    assertThat(seenByBob).doesNotContain("s3cr3t");
    assertThat(seenByAlice).contains("s3cr3t");
  }

  @Test
  void submitterCannotChangeSubmittedBy() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1')");

    assertThatThrownBy(() ->
            Queries.execute(
                alice, "UPDATE df.instances SET submitted_by = 'bob'::regrole WHERE id = ?", id))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
    assertThatThrownBy(() ->
            Queries.execute(
                alice,
                "UPDATE df.nodes SET submitted_by = 'bob'::regrole WHERE instance_id = ?",
                id))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
  }

  @Test
  void usersCannotInsertAStatus() {
    assertThatThrownBy(() ->
            Queries.execute(
                alice,
                "INSERT INTO df.instances (id, root_node, submitted_by, status)"
                    + " VALUES ('0000abcd', '0000abce', 'alice'::regrole, 'completed')"))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
  }

  @Test
  void usersCannotInsertAnInstanceForAnotherRole() {
    assertThatThrownBy(() ->
            Queries.execute(
                alice,
                "INSERT INTO df.instances (id, root_node, submitted_by)"
                    + " VALUES ('0000abcd', '0000abce', 'bob'::regrole)"))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"))
        .hasMessageContaining("row-level security");
  }

  @Test
  void usersCannotDeleteInstancesOrNodes() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1')");

    assertThatThrownBy(() -> Queries.execute(alice, "DELETE FROM df.instances WHERE id = ?", id))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
    assertThatThrownBy(
            () -> Queries.execute(alice, "DELETE FROM df.nodes WHERE instance_id = ?", id))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
    assertThat(Queries.text(alice, "SELECT df.status(?)", id)).isEqualTo("pending");
  }

  @Test
  void roleWithoutUsageOnDfCannotEvenBuildASqlNode() throws SQLException {
    try (Connection connection = postgres.connectAs(outsider)) {

      assertThatThrownBy(() -> Queries.text(connection, "SELECT df.sql('SELECT 1')"))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
    }
  }

  @Test
  void grantUsageGrantsExactlyTheListedPrivileges() throws SQLException {
    Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?)", newcomer);

    assertThat(Queries.column(postgres.dataSource(), TABLE_PRIVILEGES, newcomer))
        .containsExactlyElementsOf(GRANTED_TABLE_PRIVILEGES);
    assertThat(Queries.column(postgres.dataSource(), COLUMN_PRIVILEGES, newcomer, newcomer))
        .containsExactlyElementsOf(GRANTED_COLUMN_PRIVILEGES);
    assertThat(
            Queries.rows(
                    postgres.dataSource(),
                    """
                    SELECT has_schema_privilege(?::name, 'df', 'USAGE'),
                           has_schema_privilege(?::name, 'df', 'CREATE'),
                           has_schema_privilege(?::name, 'df', 'USAGE WITH GRANT OPTION'),
                           has_function_privilege(?::name, 'df.grant_usage(text,boolean,boolean)',
                                                  'EXECUTE'),
                           has_function_privilege(?::name, 'df.revoke_usage(text)', 'EXECUTE')\
                    """,
                    newcomer,
                    newcomer,
                    newcomer,
                    newcomer,
                    newcomer)
                .get(0))
        .containsExactly("t", "f", "f", "f", "f");
  }

  @Test
  void grantUsageWithGrantOptionLetsTheRoleDelegate() throws SQLException {
    Queries.execute(
        postgres.dataSource(), "SELECT df.grant_usage(?, with_grant => true)", delegate);

    assertThat(
            Queries.rows(
                    postgres.dataSource(),
                    """
                    SELECT has_schema_privilege(?::name, 'df', 'USAGE WITH GRANT OPTION'),
                           has_table_privilege(?::name, 'df.instances', 'SELECT WITH GRANT OPTION'),
                           has_column_privilege(?::name, 'df.instances', 'status',
                                                'UPDATE WITH GRANT OPTION'),
                           has_table_privilege(?::name, 'df.vars', 'DELETE WITH GRANT OPTION'),
                           has_function_privilege(?::name, 'df.grant_usage(text,boolean,boolean)',
                                                  'EXECUTE WITH GRANT OPTION'),
                           has_function_privilege(?::name, 'df.revoke_usage(text)',
                                                  'EXECUTE WITH GRANT OPTION')\
                    """,
                    delegate,
                    delegate,
                    delegate,
                    delegate,
                    delegate,
                    delegate)
                .get(0))
        .containsOnly("t");
  }

  @Test
  void revokeUsageRemovesWhatGrantUsageGave() throws SQLException {
    String role = postgres.databaseName() + "_leaver";
    Queries.execute(postgres.dataSource(), "CREATE ROLE " + role + " LOGIN");
    try {
      Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?, with_grant => true)", role);

      Queries.execute(postgres.dataSource(), "SELECT df.revoke_usage(?)", role);

      assertThat(Queries.column(postgres.dataSource(), TABLE_PRIVILEGES, role)).isEmpty();
      assertThat(Queries.column(postgres.dataSource(), COLUMN_PRIVILEGES, role, role)).isEmpty();
      assertThat(
              Queries.rows(
                      postgres.dataSource(),
                      """
                      SELECT has_schema_privilege(?::name, 'df', 'USAGE'),
                             has_function_privilege(?::name, 'df.grant_usage(text,boolean,boolean)',
                                                    'EXECUTE')\
                      """,
                      role,
                      role)
                  .get(0))
          .containsExactly("f", "f");
    } finally {
      Queries.execute(postgres.dataSource(), "DROP OWNED BY " + role);
      Queries.execute(postgres.dataSource(), "DROP ROLE " + role);
    }
  }

  @Test
  void grantAndRevokeUsageAreNotOpenToUsers() {
    assertThatThrownBy(() -> Queries.execute(alice, "SELECT df.grant_usage('bob')"))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
    assertThatThrownBy(() -> Queries.execute(alice, "SELECT df.revoke_usage('bob')"))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
  }

  @Test
  void usersCannotWriteSettings() {
    assertThatThrownBy(() ->
            Queries.execute(
                alice, "INSERT INTO df.settings VALUES ('enable_superuser_instances', 'on')"))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
    assertThatThrownBy(() -> Queries.execute(alice, "UPDATE df.settings SET value = 'on'"))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
  }

  @Test
  void usersCannotReadTheEngineQueue() {
    assertThatThrownBy(() -> Queries.text(alice, "SELECT count(*) FROM df_engine.runs"))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
  }

  @Test
  void everyoneCanReadTheReadinessTable() throws SQLException {
    Queries.execute(
        postgres.dataSource(),
        "INSERT INTO df_engine._worker_ready VALUES (true, 7, now())"
            + " ON CONFLICT (sentinel) DO UPDATE SET schema_version = 7");
    try (Connection connection = postgres.connectAs(outsider)) {

      String version =
          Queries.text(connection, "SELECT schema_version FROM df_engine._worker_ready");

      assertThat(version).isEqualTo("7");
    } finally {
      Queries.execute(postgres.dataSource(), "DELETE FROM df_engine._worker_ready");
    }
  }

  @Test
  void nothingInDfIsGrantedToPublicButFunctionExecute() throws SQLException {
    List<String> publicGrants =
        Queries.column(
            postgres.dataSource(),
            """
            SELECT 'schema df:' || a.privilege_type
              FROM pg_namespace n, aclexplode(n.nspacl) a
             WHERE n.nspname = 'df' AND a.grantee = 0
            UNION ALL
            SELECT c.relname || ':' || a.privilege_type
              FROM pg_class c, aclexplode(c.relacl) a
             WHERE c.relnamespace = 'df'::regnamespace AND a.grantee = 0
            UNION ALL
            SELECT c.relname || '.' || at.attname || ':' || a.privilege_type
              FROM pg_class c
              JOIN pg_attribute at ON at.attrelid = c.oid, aclexplode(at.attacl) a
             WHERE c.relnamespace = 'df'::regnamespace AND a.grantee = 0
            UNION ALL
            SELECT p.oid::regprocedure::text || ':' || a.privilege_type
              FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
             WHERE p.pronamespace = 'df'::regnamespace AND a.grantee = 0
            ORDER BY 1\
            """);

    assertThat(publicGrants)
        .contains("df.sql(text):EXECUTE", "df.start(text,text,text,text,text):EXECUTE")
        .allMatch(grant -> grant.startsWith("df.") && grant.endsWith(":EXECUTE"))
        .noneMatch(grant -> grant.startsWith("df.grant_usage("))
        .noneMatch(grant -> grant.startsWith("df.revoke_usage("));
  }

  @Test
  void everyDfFunctionRunsWithTheCallersRights() throws SQLException {
    // df.metrics() is the one documented exception (R-MON-8 counts across all users; EXECUTE is
    // revoked from PUBLIC instead).
    List<List<String>> functions =
        Queries.rows(
            postgres.dataSource(),
            "SELECT p.oid::regprocedure::text, p.prosecdef::text FROM pg_proc p"
                + " WHERE p.pronamespace = 'df'::regnamespace AND p.proname <> 'metrics'");

    assertThat(functions)
        .extracting(function -> function.get(0))
        .contains("df.sql(text)", "df.start(text,text,text,text,text)", "df.status(text)");
    assertThat(functions).extracting(function -> function.get(1)).containsOnly("false");
  }

  @Test
  void checkpointWithoutTheLeaseTokenRaisesTheLeaseError() throws SQLException {
    String id = Queries.text(alice, "SELECT df.start('SELECT 1')");
    String root = Queries.text(alice, "SELECT root_node FROM df.instances WHERE id = ?", id);

    assertThatThrownBy(() ->
            Queries.execute(
                alice,
                "SELECT df_engine.checkpoint_step(?, ?, gen_random_uuid(), '{\"forged\":true}', 'x',"
                    + " 'x', NULL)",
                id,
                root))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("DF001"))
        .hasMessageContaining("lease");
    assertThatThrownBy(() ->
            Queries.execute(
                alice,
                "SELECT df_engine.checkpoint_step(?, ?, NULL, '{\"forged\":true}', 'x', 'x', NULL)",
                id,
                root))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("DF001"));
    assertThat(Queries.rows(alice, "SELECT status, result FROM df.nodes WHERE instance_id = ?", id))
        .containsExactly(Arrays.asList("pending", null));
  }

  @Test
  void startStaysUsableAfterTheEngineHelpersAloneAreReapplied() throws Exception {
    try (Connection superuser = postgres.dataSource().getConnection();
        Statement statement = superuser.createStatement()) {
      statement.setEscapeProcessing(false);
      statement.execute(resource("df/R__010_engine.sql"));
    }

    String id = Queries.text(alice, "SELECT df.start('SELECT 1' OPERATOR(df.~>) 'SELECT 2')");

    assertThat(id).matches("^[0-9a-f]{8}$");
  }

  private static String resource(String name) throws IOException {
    try (InputStream in =
        Objects.requireNonNull(
            SecurityTest.class.getClassLoader().getResourceAsStream(name), name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
