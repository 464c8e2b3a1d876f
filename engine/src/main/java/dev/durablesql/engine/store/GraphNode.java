package dev.durablesql.engine.store;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * One vertex of an instance's graph as df.start materialised it, with its state when the engine
 * loaded the instance.
 *
 * @param output the exact result text of a completed node (select-list order kept), or the error
 *     text of a failed one
 * @param stamp the execution id of its last status write ({@code <scope>::<generation>})
 * @param broke whether it completed by raising a break (R-EXEC-21)
 */
public record GraphNode(
    String id,
    String type,
    Optional<String> query,
    Optional<String> resultName,
    Optional<String> left,
    Optional<String> right,
    String status,
    Optional<String> output,
    Optional<String> stamp,
    boolean broke) {

  public GraphNode {
    requireNonNull(id, "id is null");
    requireNonNull(type, "type is null");
    requireNonNull(query, "query is null");
    requireNonNull(resultName, "resultName is null");
    requireNonNull(left, "left is null");
    requireNonNull(right, "right is null");
    requireNonNull(status, "status is null");
    requireNonNull(output, "output is null");
    requireNonNull(stamp, "stamp is null");
  }

  public boolean isCompleted() {
    return status.equals("completed");
  }

  /** Whether the node finished (completed or failed) in the scope generation {@code stamp}. */
  public boolean isFinishedIn(String currentStamp) {
    return (isCompleted() || isFailed()) && stamp.filter(currentStamp::equals).isPresent();
  }

  public boolean isFailed() {
    return status.equals("failed");
  }
}
