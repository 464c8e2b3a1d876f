package dev.durablesql.engine.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.durablesql.engine.claim.ClaimedInstance;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Status marks that need no durability, written behind the interpreter's back: a node's {@code
 * running} stamp, a compound node's completion, an instance's {@code pending → running}. A crash
 * that loses them loses nothing: a resumed instance re-derives them from its checkpoints (a step
 * with no checkpoint runs again whatever its mark said; a THEN whose children all completed
 * completes again at once). So instead of a round trip and a commit each, one writer thread sends
 * all marks queued meanwhile, from every instance, in one statement ({@code
 * df_engine.write_nodes}), while the instances go on with their steps. Under load a batch carries
 * the marks of many instances; on an idle engine the single mark is written while the step runs,
 * off the step's path.
 *
 * <p>Order: marks of one instance are written in the order they were made, and before anything that
 * ends its claim ({@link #takeFor}), so a finished instance never keeps a node marked running. A
 * step's checkpoint may commit before the step's own running mark is written; {@code write_nodes}
 * never turns a node that ended in the same execution back to running.
 */
public final class NodeMarks implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeMarks.class);
  private static final JsonFactory JSON = new JsonFactory();

  /** The most marks one statement carries; more wait for the next batch. */
  private static final int MAX_BATCH = 2_000;

  /**
   * How long a mark waits before the writer sends it. In that time the marks of other instances
   * join the batch, and an instance that ends sooner takes its marks into its own last round trip
   * ({@link #takeFor}): a one-step workflow then costs no mark write at all. Observers see a
   * running node at most this much later.
   */
  private static final long LINGER_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(5);

  /**
   * One mark. {@code nodeId} null marks the instance itself running.
   *
   * @param result completed compound node's result, null for running
   */
  public record Mark(
      String instanceId,
      java.util.UUID leaseToken,
      String nodeId,
      String status,
      String result,
      String stamp,
      boolean resultIsJson) {
    public Mark {
      requireNonNull(instanceId, "instanceId is null");
      requireNonNull(leaseToken, "leaseToken is null");
      requireNonNull(status, "status is null");
    }
  }

  private final DataSource dataSource;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition queued = lock.newCondition();
  private final Condition written = lock.newCondition();
  private final List<Mark> queue = new ArrayList<>();

  /** When the oldest queued mark was queued (System.nanoTime). */
  private long oldestQueuedAt;

  /** Instances with marks in the batch being written now. */
  private final Map<String, Integer> inFlight = new HashMap<>();

  private final Thread writer;
  private boolean closed;

  public NodeMarks(DataSource dataSource) {
    this.dataSource = requireNonNull(dataSource, "dataSource is null");
    this.writer = Thread.ofPlatform().daemon().name("df-node-marks").start(this::writeLoop);
  }

  /** Queues a mark of {@code claim}'s instance. */
  public void mark(
      ClaimedInstance claim,
      String nodeId,
      String status,
      String result,
      String stamp,
      boolean resultIsJson) {
    Mark mark =
        new Mark(claim.id(), claim.leaseToken(), nodeId, status, result, stamp, resultIsJson);
    lock.lock();
    try {
      if (closed) {
        return; // The engine is stopping: the instance is released, its marks re-derived.
      }
      if (queue.isEmpty()) {
        oldestQueuedAt = System.nanoTime();
        queued.signal();
      }
      queue.add(mark);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes the instance's marks that are not written yet, to be written by the caller in the same
   * round trip as the end of its claim, and waits for those the writer is sending now. Call it
   * without holding a connection of the pool the writer uses.
   */
  public List<Mark> takeFor(String instanceId) throws InterruptedException {
    List<Mark> taken = new ArrayList<>();
    lock.lock();
    try {
      queue.removeIf(mark -> {
        if (mark.instanceId().equals(instanceId)) {
          taken.add(mark);
          return true;
        }
        return false;
      });
      while (inFlight.containsKey(instanceId)) {
        written.await();
      }
    } finally {
      lock.unlock();
    }
    return taken;
  }

  /**
   * Drops the node's queued {@code running} mark of execution {@code stamp}, if the writer has not
   * taken it yet: the node ended in that execution and its end is written, so the mark would only
   * cost a row update that the end's stamp rules out anyway. A fast step then never shows as
   * running; one that runs longer than the writer's linger does.
   */
  public void dropRunning(String instanceId, String nodeId, String stamp) {
    lock.lock();
    try {
      queue.removeIf(mark ->
          mark.status().equals("running")
              && nodeId.equals(mark.nodeId())
              && instanceId.equals(mark.instanceId())
              && stamp.equals(mark.stamp()));
    } finally {
      lock.unlock();
    }
  }

  /** Puts marks taken with {@link #takeFor} back, first in line (their write did not happen). */
  public void putBack(List<Mark> marks) {
    if (marks.isEmpty()) {
      return;
    }
    lock.lock();
    try {
      if (queue.isEmpty()) {
        oldestQueuedAt = System.nanoTime();
        queued.signal();
      }
      queue.addAll(0, marks);
    } finally {
      lock.unlock();
    }
  }

  /** The statement that writes a batch; its one parameter is {@link #json}. */
  public static final String WRITE = "SELECT df_engine.write_nodes(?::jsonb)";

  /** Writes {@code marks} on {@code connection}, in one statement. */
  public static void write(Connection connection, List<Mark> marks) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(WRITE)) {
      statement.setString(1, json(marks));
      statement.execute();
    }
  }

  /**
   * The marks as the JSON array {@code write_nodes} reads, keeping only the last mark of each node
   * (a THEN that started and ended within one batch is written once, as completed).
   */
  public static String json(List<Mark> marks) {
    Map<String, Mark> last = new LinkedHashMap<>();
    for (Mark mark : marks) {
      last.remove(mark.instanceId() + '\u0000' + mark.nodeId());
      last.put(mark.instanceId() + '\u0000' + mark.nodeId(), mark);
    }
    StringWriter text = new StringWriter();
    try (JsonGenerator out = JSON.createGenerator(text)) {
      out.writeStartArray();
      for (Mark mark : last.values()) {
        out.writeStartObject();
        out.writeStringField("instance_id", mark.instanceId());
        out.writeStringField("lease_token", mark.leaseToken().toString());
        out.writeStringField("node_id", mark.nodeId());
        out.writeStringField("status", mark.status());
        out.writeStringField("result", mark.result());
        out.writeStringField("stamp", mark.stamp());
        out.writeBooleanField("is_json", mark.resultIsJson());
        out.writeEndObject();
      }
      out.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }

  private void writeLoop() {
    while (awaitBatch()) {
      // The connection is borrowed before the batch is taken: instances waiting in takeFor for a
      // batch in flight must never wait for a connection that the writer waits for in turn.
      try (Connection connection = dataSource.getConnection()) {
        List<Mark> batch = takeBatch();
        try {
          if (!batch.isEmpty()) {
            write(connection, batch);
          }
        } catch (SQLException | RuntimeException e) {
          // Lost marks are re-derived when the instances run again; the checkpoints are intact.
          log.warn("Could not write {} node status mark(s): {}", batch.size(), e.getMessage());
        } finally {
          landed(batch);
        }
      } catch (SQLException e) {
        log.warn("Could not borrow a connection to write node status marks: {}", e.getMessage());
      }
    }
  }

  /** Waits until the oldest queued mark has lingered; false when closed with nothing queued. */
  private boolean awaitBatch() {
    lock.lock();
    try {
      while (!closed) {
        if (queue.isEmpty()) {
          queued.awaitUninterruptibly();
          continue;
        }
        long wait = oldestQueuedAt + LINGER_NANOS - System.nanoTime();
        if (wait <= 0) {
          return true;
        }
        try {
          queued.awaitNanos(wait);
        } catch (InterruptedException e) {
          return true; // Not expected: write what is queued and go on.
        }
      }
      return !queue.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  private List<Mark> takeBatch() {
    lock.lock();
    try {
      int size = Math.min(queue.size(), MAX_BATCH);
      List<Mark> batch = new ArrayList<>(queue.subList(0, size));
      queue.subList(0, size).clear();
      oldestQueuedAt = System.nanoTime(); // Marks left over wait no longer than one more linger.
      batch.forEach(mark -> inFlight.merge(mark.instanceId(), 1, Integer::sum));
      return batch;
    } finally {
      lock.unlock();
    }
  }

  private void landed(List<Mark> batch) {
    lock.lock();
    try {
      batch.forEach(
          mark -> inFlight.computeIfPresent(mark.instanceId(), (id, n) -> n == 1 ? null : n - 1));
      written.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Writes what is queued, then stops the writer. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      queued.signal();
    } finally {
      lock.unlock();
    }
    try {
      writer.join(java.time.Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
