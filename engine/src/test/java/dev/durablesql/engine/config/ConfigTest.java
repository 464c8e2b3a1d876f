package dev.durablesql.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConfigTest {
  private final ConfigLoader loader = new ConfigLoader(Settings.standard(), Map.of());

  @Test
  void pinsEveryDefault() {
    Config config = loader.load(Optional.empty(), List.of());

    assertThat(config.optionalString("url")).isEmpty();
    assertThat(config.optionalString("user")).isEmpty();
    assertThat(config.optionalString("password")).isEmpty();
    assertThat(config.optionalString("role-secrets-dir")).isEmpty();
    assertThat(config.bool("install-schema")).isTrue();
    assertThat(config.optionalString("engine-name")).isEmpty();
    assertThat(config.integer("max-concurrent-instances")).isEqualTo(256);
    assertThat(config.integer("max-user-connections")).isEqualTo(10);
    assertThat(config.integer("max-connections-per-role")).isEqualTo(8);
    assertThat(config.duration("execution-acquire-timeout")).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.integer("max-management-connections")).isEqualTo(6);
    assertThat(config.duration("lease-duration")).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.duration("heartbeat-interval")).isEqualTo(Duration.ofSeconds(3));
    assertThat(config.duration("poll-interval")).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.integer("claim-batch-size")).isEqualTo(32);
    assertThat(config.duration("shutdown-grace-period")).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.integer("retry-max-attempts")).isEqualTo(3);
    assertThat(config.duration("retry-initial-delay")).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.duration("retry-max-delay")).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.integer("retention-days")).isEqualTo(30);
    assertThat(config.duration("reconcile-interval")).isEqualTo(Duration.ofHours(1));
    assertThat(config.integer("http-port")).isZero();
    assertThat(config.string("http-bind")).isEqualTo("127.0.0.1");
    assertThat(config.string("dashboard.auth")).isEqualTo("password");
    assertThat(config.optionalString("dashboard.trusted-header")).isEmpty();
    assertThat(config.optionalString("dashboard.role")).isEmpty();
    assertThat(config.duration("dashboard.session-timeout")).isEqualTo(Duration.ofMinutes(30));
    assertThat(config.path("data-dir"))
        .isEqualTo(Path.of(System.getProperty("user.home"), ".durable-sql", "pg17"));
    assertThat(config.integer("pg-port")).isEqualTo(55433);
    assertThat(config.string("log-level")).isEqualTo("info");
    assertThat(config.path("plugins-dir")).isEqualTo(Path.of("plugins"));
    assertThat(config.duration("activity-timeout")).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.string("http.policy")).isEqualTo("allowlist");
    assertThat(config.optionalString("http.allowlist")).isEmpty();
    assertThat(config.integer("http.max-response-bytes")).isEqualTo(10_485_760);
    assertThat(config.optionalString("embed.base-url")).isEmpty();
    assertThat(config.optionalString("embed.api-key")).isEmpty();
    assertThat(config.optionalString("embed.model")).isEmpty();
    assertThat(config.duration("embed.timeout")).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.integer("embed.max-batch")).isEqualTo(256);
    assertThat(config.integer("breaker.failure-rate")).isEqualTo(50);
    assertThat(config.integer("breaker.minimum-calls")).isEqualTo(10);
    assertThat(config.integer("breaker.window")).isEqualTo(20);
    assertThat(config.duration("breaker.open-duration")).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.integer("breaker.half-open-calls")).isEqualTo(3);
    assertThat(config.optionalString("tracing.otlp-endpoint")).isEmpty();
    assertThat(config.string("tracing.service-name")).isEqualTo("durable-sql");
    assertThat(Settings.standard().all()).hasSize(47);
  }

  @Test
  void keepsTheTildeOfAPathAsWritten() {
    Config config = loader.load(Optional.empty(), List.of());

    assertThat(config.text("data-dir")).contains("~/.durable-sql/pg17");
  }

  @Test
  void readsAPathWithoutTildeAsGiven() {
    Config config = loader.load(Optional.empty(), List.of("data-dir=/var/lib/durable"));

    assertThat(config.path("data-dir")).isEqualTo(Path.of("/var/lib/durable"));
  }

  @Test
  void readsValuesByAnySpellingOfTheName() {
    Config config = loader.load(Optional.empty(), List.of("max-user-connections=12"));

    assertThat(config.integer("pg_durable.max_user_connections")).isEqualTo(12);
    assertThat(config.source("max_user_connections")).isEqualTo(new Source.CommandLine());
  }

  @Test
  void explainsHowToGiveARequiredValueThatIsMissing() {
    Config config = loader.load(Optional.empty(), List.of());

    assertThatThrownBy(() -> config.string("url"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "setting url has no value: give it with --set url=..., the environment variable"
                + " DURABLE_URL or a line url=... in the --config file");
  }

  @Test
  void refusesToReadASettingAsTheWrongType() {
    Config config = loader.load(Optional.empty(), List.of());

    assertThatThrownBy(() -> config.integer("lease-duration"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting lease-duration holds duration 1s..1h; integer() cannot read it");
  }

  @Test
  void refusesAnUnknownNameInAGetter() {
    Config config = loader.load(Optional.empty(), List.of());

    assertThatThrownBy(() -> config.bool("install"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no setting named 'install' in the catalogue");
  }

  @Test
  void masksTheSecretInToString() {
    Config config = loader.load(Optional.empty(), List.of("password=hunter2"));

    assertThat(config.toString()).contains("password=****").doesNotContain("hunter2");
  }

  @Test
  void handsOutTheSecretToTheEngine() {
    Config config = loader.load(Optional.empty(), List.of("password=hunter2"));

    assertThat(config.string("password")).isEqualTo("hunter2");
  }
}
