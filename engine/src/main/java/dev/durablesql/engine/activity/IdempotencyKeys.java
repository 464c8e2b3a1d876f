package dev.durablesql.engine.activity;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.UUID;

/**
 * Idempotency keys of activity attempts: a name-based UUID of instance, node, scope stamp and
 * attempt. The same attempt gets the same key when it runs again after a crash; each retry, each
 * loop iteration and each node gets a different one.
 */
final class IdempotencyKeys {
  private IdempotencyKeys() {}

  static String of(String instanceId, String nodeId, String stamp, int attempt) {
    String name = "durable-sql/" + instanceId + "/" + nodeId + "/" + stamp + "/" + attempt;
    return UUID.nameUUIDFromBytes(name.getBytes(UTF_8)).toString();
  }
}
