package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.util.PSQLException;

/** The tables of SPEC.md §6: columns, constraints and indexes that clients rely on. */
class DataModelTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String COLUMNS =
      """
      SELECT column_name || ' ' || data_type
             || coalesce('(' || character_maximum_length || ')', '')
             || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
        FROM information_schema.columns
       WHERE table_schema = 'df' AND table_name = ?
       ORDER BY ordinal_position\
      """;

  private static String startAsAlice(String durofut) throws SQLException {
    try (Connection alice = postgres.connectAs(PostgresExtension.ALICE)) {
      return Queries.text(alice, "SELECT df.start(" + durofut + ")");
    }
  }

  @Test
  void instancesHasTheReferenceColumnsInOrder() throws SQLException {
    List<String> columns = Queries.column(postgres.dataSource(), COLUMNS, "instances");

    assertThat(columns)
        .containsExactly(
            "id character varying(8) NOT NULL",
            "label text",
            "root_node character varying(8) NOT NULL",
            "status text",
            "submitted_by regrole NOT NULL",
            "database text",
            "created_at timestamp with time zone",
            "updated_at timestamp with time zone",
            "completed_at timestamp with time zone");
  }

  @Test
  void nodesHasTheReferenceColumnsInOrder() throws SQLException {
    List<String> columns = Queries.column(postgres.dataSource(), COLUMNS, "nodes");

    assertThat(columns)
        .containsExactly(
            "id character varying(8) NOT NULL",
            "instance_id character varying(8) NOT NULL",
            "node_type text NOT NULL",
            "query text",
            "result_name text",
            "left_node character varying(8)",
            "right_node character varying(8)",
            "status text",
            "result jsonb",
            "error text",
            "submitted_by regrole",
            "database text",
            "created_at timestamp with time zone",
            "updated_at timestamp with time zone",
            "status_details jsonb");
  }

  @Test
  void varsHasTheReferenceColumnsInOrder() throws SQLException {
    List<String> columns = Queries.column(postgres.dataSource(), COLUMNS, "vars");

    assertThat(columns)
        .containsExactly("name text NOT NULL", "value text", "owner regrole NOT NULL");
  }

  @Test
  void workerEpochHasOneHeartbeatColumnPairPerEngine() throws SQLException {
    List<String> columns = Queries.column(postgres.dataSource(), COLUMNS, "_worker_epoch");

    assertThat(columns)
        .containsExactly(
            "epoch_id uuid NOT NULL",
            "started_at timestamp with time zone",
            "last_seen_at timestamp with time zone");
  }

  @Test
  void statusesDefaultToPendingAndTimestampsToNow() throws SQLException {
    List<List<String>> defaults =
        Queries.rows(
            postgres.dataSource(),
            """
            SELECT table_name || '.' || column_name, column_default
              FROM information_schema.columns
             WHERE table_schema = 'df' AND table_name IN ('instances', 'nodes')
               AND column_name IN ('status', 'created_at', 'updated_at')
             ORDER BY 1\
            """);

    assertThat(defaults)
        .containsExactly(
            List.of("instances.created_at", "now()"),
            List.of("instances.status", "'pending'::text"),
            List.of("instances.updated_at", "now()"),
            List.of("nodes.created_at", "now()"),
            List.of("nodes.status", "'pending'::text"),
            List.of("nodes.updated_at", "now()"));
  }

  @Test
  void variableOwnerDefaultsToTheCurrentRole() throws SQLException {
    try (Connection alice = postgres.connectAs(PostgresExtension.ALICE)) {
      Queries.execute(alice, "INSERT INTO df.vars (name, value) VALUES ('owned', '1')");
    }

    String owner =
        Queries.text(postgres.dataSource(), "SELECT owner::text FROM df.vars WHERE name = 'owned'");

    assertThat(owner).isEqualTo("alice");
  }

  @Test
  void requiredForeignKeysAreDeferrableAndInitiallyDeferred() throws SQLException {
    List<List<String>> constraints =
        Queries.rows(
            postgres.dataSource(),
            """
            SELECT conname::text, contype::text, condeferrable::text, condeferred::text
              FROM pg_constraint
             WHERE conname IN ('nodes_left_node_same_instance_fkey',
                               'nodes_right_node_same_instance_fkey',
                               'instances_root_node_same_instance_fkey')
               AND connamespace = 'df'::regnamespace
             ORDER BY conname\
            """);

    assertThat(constraints)
        .containsExactly(
            List.of("instances_root_node_same_instance_fkey", "f", "true", "true"),
            List.of("nodes_left_node_same_instance_fkey", "f", "true", "true"),
            List.of("nodes_right_node_same_instance_fkey", "f", "true", "true"));
  }

  @Test
  void nodesArePrimaryKeyedByInstanceAndId() throws SQLException {
    String definition =
        Queries.text(
            postgres.dataSource(),
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                + " WHERE conname = 'nodes_pkey' AND conrelid = 'df.nodes'::regclass");

    assertThat(definition).isEqualTo("PRIMARY KEY (instance_id, id)");
  }

  @Test
  void nodeIdsAreNotUniqueAcrossInstances() throws SQLException {
    List<String> constraints =
        Queries.column(
            postgres.dataSource(),
            "SELECT conname::text FROM pg_constraint WHERE conrelid = 'df.nodes'::regclass"
                + " AND contype IN ('u', 'p')");
    List<String> indexes =
        Queries.column(
            postgres.dataSource(),
            "SELECT indexname::text FROM pg_indexes"
                + " WHERE schemaname = 'df' AND tablename = 'nodes'");

    assertThat(constraints).containsExactly("nodes_pkey").doesNotContain("nodes_instance_node_key");
    assertThat(indexes).doesNotContain("nodes_instance_node_key");
  }

  @Test
  void checksAndForeignKeysOfTheNodesApplyOnlyToNewRows() throws SQLException {
    List<String> validated =
        Queries.column(
            postgres.dataSource(),
            "SELECT conname::text FROM pg_constraint WHERE conrelid = 'df.nodes'::regclass"
                + " AND contype IN ('c', 'f') AND convalidated");

    assertThat(validated).isEmpty();
  }

  @Test
  void instancesHaveTheListingIndexes() throws SQLException {
    List<String> definitions =
        Queries.column(
            postgres.dataSource(),
            "SELECT substring(indexdef from ' USING .*') FROM pg_indexes"
                + " WHERE schemaname = 'df' AND tablename = 'instances' ORDER BY 1");

    assertThat(definitions)
        .contains(
            " USING btree (status, created_at DESC, id)",
            " USING btree (created_at DESC, id)",
            " USING btree (label, created_at DESC, id) WHERE (label IS NOT NULL)",
            " USING btree (id, submitted_by)");
  }

  @Test
  void nodesAreIndexedByInstance() throws SQLException {
    List<String> definitions =
        Queries.column(
            postgres.dataSource(),
            "SELECT substring(indexdef from ' USING .*') FROM pg_indexes"
                + " WHERE schemaname = 'df' AND tablename = 'nodes'");

    assertThat(definitions).contains(" USING btree (instance_id)");
  }

  @Test
  void malformedInstanceIdsAreRejected() {
    assertThatThrownBy(() ->
            Queries.execute(
                postgres.dataSource(),
                "INSERT INTO df.instances (id, root_node, submitted_by)"
                    + " VALUES ('NOT-HEX!', '0000abcd', 'alice'::regrole)"))
        .hasMessageContaining("instances_id_check");
  }

  @Test
  void unknownInstanceStatusesAreRejected() {
    assertThatThrownBy(() ->
            Queries.execute(
                postgres.dataSource(),
                "INSERT INTO df.instances (id, root_node, submitted_by, status)"
                    + " VALUES ('0000abcd', '0000abce', 'alice'::regrole, 'skipped')"))
        .hasMessageContaining("instances_status_check");
  }

  @Test
  void skippedIsNeverAStoredNodeStatus() throws SQLException {
    String id = startAsAlice("'SELECT 1'");

    // One CHECK calls a function for the ten rules (V008): a client still gets what a CHECK of
    // its own would give it, down to the error's fields.
    assertThatThrownBy(() ->
            Queries.execute(
                postgres.dataSource(),
                "UPDATE df.nodes SET status = 'skipped' WHERE instance_id = ?",
                id))
        .hasMessageContaining("nodes_status_check")
        .isInstanceOfSatisfying(
            PSQLException.class,
            e -> {
              assertThat(e.getSQLState()).isEqualTo("23514");
              assertThat(e.getServerErrorMessage().getConstraint()).isEqualTo("nodes_status_check");
              assertThat(e.getServerErrorMessage().getSchema()).isEqualTo("df");
              assertThat(e.getServerErrorMessage().getTable()).isEqualTo("nodes");
              assertThat(e.getServerErrorMessage().getDetail()).contains("'skipped'");
            });
  }

  @Test
  void nodeResultRequiresAFinishedStatus() throws SQLException {
    String id = startAsAlice("'SELECT 1'");

    assertThatThrownBy(() ->
            Queries.execute(
                postgres.dataSource(),
                "UPDATE df.nodes SET result = '1' WHERE instance_id = ?",
                id))
        .hasMessageContaining("nodes_result_check");
  }

  @Test
  void aNodeWithTheWrongChildrenForItsTypeIsRejected() throws SQLException {
    String id = startAsAlice("df.seq('SELECT 1', 'SELECT 2')");

    assertThatThrownBy(() ->
            Queries.execute(
                postgres.dataSource(),
                "UPDATE df.nodes SET right_node = NULL WHERE instance_id = ? AND node_type = 'THEN'",
                id))
        .hasMessageContaining("nodes_structure_check");
    assertThatThrownBy(() ->
            Queries.execute(
                postgres.dataSource(),
                "UPDATE df.nodes SET query = NULL WHERE instance_id = ? AND node_type = 'SQL'",
                id))
        .hasMessageContaining("nodes_structure_check");
  }

  @Test
  void aRoleCannotLoosenTheNodeChecksWithOperatorsOnItsSearchPath() throws SQLException {
    Queries.execute(
        postgres.dataSource(),
        """
        CREATE SCHEMA loosen;
        CREATE FUNCTION loosen.always(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE
          AS 'SELECT true';
        CREATE OPERATOR loosen.= (LEFTARG = text, RIGHTARG = text, FUNCTION = loosen.always);
        CREATE OPERATOR loosen.~ (LEFTARG = text, RIGHTARG = text, FUNCTION = loosen.always);
        GRANT USAGE ON SCHEMA loosen TO PUBLIC;
        """);
    try (Connection alice = postgres.connectAs(PostgresExtension.ALICE)) {
      String id = Queries.text(alice, "SELECT df.start('SELECT 1')");
      Queries.execute(alice, "SET search_path = loosen, pg_catalog, public");

      assertThatThrownBy(() ->
              Queries.execute(
                  alice,
                  "INSERT INTO df.nodes (id, instance_id, node_type, query, submitted_by)"
                      + " VALUES ('NOT-HEX!', ?, 'SQL', 'SELECT 2', 'alice'::regrole)",
                  id))
          .hasMessageContaining("nodes_id_check");
    } finally {
      Queries.execute(postgres.dataSource(), "DROP SCHEMA loosen CASCADE");
    }
  }

  @Test
  void instanceWithoutItsRootNodeFailsAtCommit() throws SQLException {
    try (Connection connection = postgres.dataSource().getConnection()) {
      connection.setAutoCommit(false);
      Queries.execute(
          connection,
          "INSERT INTO df.instances (id, root_node, submitted_by)"
              + " VALUES ('00c0ffee', '00c0ffef', 'alice'::regrole)");

      assertThatThrownBy(connection::commit)
          .hasMessageContaining("instances_root_node_same_instance_fkey");
    }
  }
}
