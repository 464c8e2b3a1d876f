package dev.durablesql.example.checksum;

import dev.durablesql.activity.ActivityContext;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** The least an engine gives a step: a config and the activity's settings. */
record FakeContext(Map<String, Object> config, Map<String, String> settings)
    implements ActivityContext {

  static FakeContext of(Map<String, Object> config) {
    return new FakeContext(config, Map.of());
  }

  @Override
  public String instanceId() {
    return "0000abcd";
  }

  @Override
  public String nodeId() {
    return "0000ef01";
  }

  @Override
  public int attempt() {
    return 1;
  }

  @Override
  public String submittedBy() {
    return "app";
  }

  @Override
  public String idempotencyKey() {
    return "0000abcd-0000ef01-1";
  }

  @Override
  public Instant deadline() {
    return Instant.now().plusSeconds(60);
  }

  @Override
  public Optional<String> setting(String name) {
    return Optional.ofNullable(settings.get(name));
  }
}
