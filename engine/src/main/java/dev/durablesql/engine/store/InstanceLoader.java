package dev.durablesql.engine.store;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.claim.ClaimFollowUp;
import dev.durablesql.engine.claim.ClaimedInstance;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Reads instances with their graphs and saved state (R-EXEC-3). The usual way is with the claim:
 * the reads travel in the claim's round trip ({@link ClaimFollowUp}), for every instance the claim
 * took, and wait here until the instance's runner {@linkplain #load asks for them}. That saves a
 * round trip per claimed instance (the start of every run waited for it) and plans the five reads
 * once per batch instead of once per instance.
 *
 * <p>Read in the claim's transaction, after it, the state is the claimed instance's as of its
 * claim: nothing else writes an instance's graph or scopes while this engine holds its lease. A
 * cancel may land in between; the runner's cancellation checks see it as they would a cancel that
 * lands a moment after a separate load.
 */
final class InstanceLoader implements ClaimFollowUp {
  /**
   * The five reads, for the instances named by {@code %1$s} (a varchar[] expression); the results
   * come back in this order (instance, nodes, policies, attempts, scopes), each row led by its
   * instance's id.
   */
  private static final String READS =
      """
      SELECT i.id, i.status, i.label, r.rolname, coalesce(r.rolsuper, false),
             nullif(i.database, current_database()), i.root_node
        FROM df.instances i
        LEFT JOIN pg_catalog.pg_roles r ON r.oid = i.submitted_by
       WHERE i.id = ANY(%1$s);
      SELECT n.instance_id, n.id, n.node_type, n.query, n.result_name, n.left_node, n.right_node,
             n.status, coalesce(o.output, n.result #>> '{}'),
             n.status_details ->> 'execution_id', coalesce(o.broke, false)
        FROM df.nodes n
        LEFT JOIN df_engine.node_outputs o ON o.instance_id = n.instance_id AND o.node_id = n.id
       WHERE n.instance_id = ANY(%1$s);
      SELECT instance_id, node_id, policy::text FROM df_engine.node_policies
       WHERE instance_id = ANY(%1$s);
      SELECT instance_id, node_id, attempts, last_error, stamp FROM df_engine.node_attempts
       WHERE instance_id = ANY(%1$s);
      SELECT instance_id, scope_id, generation, results::text, iteration_started_at
        FROM df_engine.scopes WHERE instance_id = ANY(%1$s)\
      """;

  /** The reads of one instance, by id: one round trip, five results. */
  private static final String BY_ID = READS.formatted("ARRAY[?]::varchar[]");

  /** The reads of the instances the claim before them took. */
  private static final String CLAIMED = READS.formatted(CLAIMED_IDS);

  private final DataSource dataSource;

  /** Loaded with their claims and not yet asked for, by id and lease token. */
  private final Map<String, LoadedInstance> loadedWithClaim = new ConcurrentHashMap<>();

  InstanceLoader(DataSource dataSource) {
    this.dataSource = requireNonNull(dataSource, "dataSource is null");
  }

  @Override
  public String sql() {
    return CLAIMED;
  }

  @Override
  public void read(Statement statement, List<ClaimedInstance> claimed) throws SQLException {
    Map<String, LoadedInstance> loaded = readAll(statement, false);
    for (ClaimedInstance claim : claimed) {
      LoadedInstance instance = loaded.get(claim.id());
      if (instance != null) {
        loadedWithClaim.put(key(claim), instance);
      }
    }
  }

  /**
   * The claimed instance as its claim read it, or as it is now when the claim did not read it;
   * empty if its row is gone.
   */
  Optional<LoadedInstance> load(ClaimedInstance claim) {
    LoadedInstance loaded = loadedWithClaim.remove(key(claim));
    return loaded != null ? Optional.of(loaded) : load(claim.id());
  }

  /** The instance as it is now; empty if its row is gone. */
  Optional<LoadedInstance> load(String instanceId) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(BY_ID)) {
      for (int i = 1; i <= 5; i++) {
        statement.setString(i, instanceId);
      }
      statement.execute();
      return Optional.ofNullable(readAll(statement, true).get(instanceId));
    } catch (SQLException e) {
      throw new IllegalStateException("load instance " + instanceId, e);
    }
  }

  private static String key(ClaimedInstance claim) {
    return claim.id() + "/" + claim.leaseToken();
  }

  /**
   * Reads the five results into instances by id.
   *
   * @param atFirst whether the statement is at the first of them already (else it is at the result
   *     before them)
   */
  private static Map<String, LoadedInstance> readAll(Statement statement, boolean atFirst)
      throws SQLException {
    Map<String, String[]> rows = new HashMap<>();
    try (ResultSet instances = result(statement, atFirst)) {
      while (instances.next()) {
        // A database equal to the df schema's is the df database: its steps keep exactly-once.
        rows.put(
            instances.getString(1),
            new String[] {
              instances.getString(2),
              instances.getString(3),
              instances.getString(4),
              Boolean.toString(instances.getBoolean(5)),
              instances.getString(6),
              instances.getString(7)
            });
      }
    }
    Map<String, Map<String, GraphNode>> nodes = new HashMap<>();
    try (ResultSet result = result(statement, false)) {
      while (result.next()) {
        GraphNode node =
            new GraphNode(
                result.getString(2),
                result.getString(3),
                Optional.ofNullable(result.getString(4)),
                Optional.ofNullable(result.getString(5)),
                Optional.ofNullable(result.getString(6)),
                Optional.ofNullable(result.getString(7)),
                result.getString(8) == null ? "pending" : result.getString(8),
                Optional.ofNullable(result.getString(9)),
                Optional.ofNullable(result.getString(10)),
                result.getBoolean(11));
        group(nodes, result.getString(1), node.id(), node);
      }
    }
    Map<String, Map<String, NodePolicy>> policies = new HashMap<>();
    try (ResultSet result = result(statement, false)) {
      while (result.next()) {
        group(
            policies,
            result.getString(1),
            result.getString(2),
            NodePolicy.fromJson(result.getString(3)));
      }
    }
    Map<String, Map<String, Attempts>> attempts = new HashMap<>();
    try (ResultSet result = result(statement, false)) {
      while (result.next()) {
        group(
            attempts,
            result.getString(1),
            result.getString(2),
            new Attempts(
                result.getInt(3),
                Optional.ofNullable(result.getString(4)),
                Optional.ofNullable(result.getString(5))));
      }
    }
    Map<String, Map<String, ScopeState>> scopes = new HashMap<>();
    try (ResultSet result = result(statement, false)) {
      while (result.next()) {
        Timestamp started = result.getTimestamp(5);
        group(
            scopes,
            result.getString(1),
            result.getString(2),
            new ScopeState(
                result.getInt(3),
                ScopeStore.results(result.getString(4)),
                Optional.ofNullable(started).map(Timestamp::toInstant)));
      }
    }
    Map<String, LoadedInstance> loaded = new HashMap<>();
    rows.forEach((id, row) ->
        loaded.put(
            id,
            new LoadedInstance(
                id,
                row[0],
                Optional.ofNullable(row[1]),
                Optional.ofNullable(row[2]),
                Boolean.parseBoolean(row[3]),
                Optional.ofNullable(row[4]),
                row[5],
                of(nodes, id),
                of(policies, id),
                of(attempts, id),
                of(scopes, id))));
    return loaded;
  }

  private static ResultSet result(Statement statement, boolean atIt) throws SQLException {
    if (!atIt && !statement.getMoreResults()) {
      throw new SQLException("the load statement returned fewer results than it has queries");
    }
    return statement.getResultSet();
  }

  private static <T> void group(
      Map<String, Map<String, T>> into, String instanceId, String key, T value) {
    into.computeIfAbsent(instanceId, unused -> new HashMap<>()).put(key, value);
  }

  private static <T> Map<String, T> of(Map<String, Map<String, T>> grouped, String instanceId) {
    return grouped.getOrDefault(instanceId, Map.of());
  }
}
