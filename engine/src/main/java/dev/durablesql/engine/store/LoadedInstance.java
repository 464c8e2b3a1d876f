package dev.durablesql.engine.store;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Optional;

/**
 * An instance as the engine loads it once per claim (R-EXEC-3): its identity, its graph, and the
 * saved state of its scopes (generations and named results).
 *
 * @param role the submitting role's name, empty when the role no longer exists
 * @param database the database its steps run in, empty for the df database
 */
public record LoadedInstance(
    String id,
    String status,
    Optional<String> label,
    Optional<String> role,
    boolean roleIsSuperuser,
    Optional<String> database,
    String rootNodeId,
    Map<String, GraphNode> nodes,
    Map<String, NodePolicy> policies,
    Map<String, Attempts> attempts,
    Map<String, ScopeState> scopes) {

  public LoadedInstance {
    requireNonNull(id, "id is null");
    requireNonNull(status, "status is null");
    requireNonNull(label, "label is null");
    requireNonNull(role, "role is null");
    requireNonNull(database, "database is null");
    requireNonNull(rootNodeId, "rootNodeId is null");
    nodes = Map.copyOf(requireNonNull(nodes, "nodes is null"));
    policies = Map.copyOf(requireNonNull(policies, "policies is null"));
    attempts = Map.copyOf(requireNonNull(attempts, "attempts is null"));
    scopes = Map.copyOf(requireNonNull(scopes, "scopes is null"));
  }

  public NodePolicy policy(String nodeId) {
    return policies.getOrDefault(nodeId, NodePolicy.none());
  }

  public Attempts attempts(String nodeId) {
    return attempts.getOrDefault(nodeId, Attempts.none());
  }

  public boolean isTerminal() {
    return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
  }

  public GraphNode node(String nodeId) {
    GraphNode node = nodes.get(nodeId);
    if (node == null) {
      throw new IllegalStateException("instance " + id + " has no node " + nodeId);
    }
    return node;
  }
}
