package dev.durablesql.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SettingsTest {
  private final Settings settings = Settings.standard();

  @Test
  void findsASettingByEverySpelling() {
    List<String> spellings =
        List.of(
            "max-user-connections",
            "max_user_connections",
            "pg_durable.max_user_connections",
            "pg_durable.max-user-connections",
            "MAX_USER_CONNECTIONS",
            " max-user-connections ");

    List<String> found =
        spellings.stream().map(spelling -> settings.find(spelling).orElseThrow().name()).toList();

    assertThat(found).containsOnly("max-user-connections");
  }

  @Test
  void findsNothingForAnUnknownName() {
    assertThat(settings.find("max-users")).isEmpty();
  }

  @Test
  void suggestsTheClosestSettingForAMisspelling() {
    assertThat(settings.closest("max_user_conections").name()).isEqualTo("max-user-connections");
    assertThat(settings.closest("lease-duraton").name()).isEqualTo("lease-duration");
  }

  @Test
  void mapsEachSettingToItsEnvironmentVariable() {
    assertThat(settings.find("max-user-connections").orElseThrow().environmentVariable())
        .isEqualTo("DURABLE_MAX_USER_CONNECTIONS");
    assertThat(settings.find("url").orElseThrow().environmentVariable()).isEqualTo("DURABLE_URL");
  }

  @Test
  void listsTheStandardSettingsInCatalogueOrder() {
    assertThat(settings.all())
        .extracting(Setting::name)
        .containsExactly(
            "url",
            "user",
            "password",
            "role-secrets-dir",
            "install-schema",
            "engine-name",
            "max-concurrent-instances",
            "max-user-connections",
            "max-connections-per-role",
            "execution-acquire-timeout",
            "max-management-connections",
            "lease-duration",
            "heartbeat-interval",
            "poll-interval",
            "claim-batch-size",
            "shutdown-grace-period",
            "retry-max-attempts",
            "retry-initial-delay",
            "retry-max-delay",
            "retention-days",
            "reconcile-interval",
            "http-port",
            "http-bind",
            "dashboard.auth",
            "dashboard.trusted-header",
            "dashboard.role",
            "dashboard.session-timeout",
            "data-dir",
            "pg-port",
            "log-level",
            "plugins-dir",
            "activity-timeout",
            "http.policy",
            "http.allowlist",
            "http.max-response-bytes",
            "embed.base-url",
            "embed.api-key",
            "embed.model",
            "embed.timeout",
            "embed.max-batch",
            "breaker.failure-rate",
            "breaker.minimum-calls",
            "breaker.window",
            "breaker.open-duration",
            "breaker.half-open-calls",
            "tracing.otlp-endpoint",
            "tracing.service-name");
  }

  @Test
  void marksOnlyThePasswordAndTheEmbeddingsKeyAsSecret() {
    assertThat(settings.all())
        .filteredOn(Setting::secret)
        .extracting(Setting::name)
        .containsExactly("password", "embed.api-key");
  }

  @Test
  void rejectsACatalogueThatListsANameTwice() {
    List<Setting> twice =
        List.of(Setting.text("url", null, "First."), Setting.text("url", null, "Second."));

    assertThatThrownBy(() -> new Settings(twice))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("setting url is listed twice");
  }

  @Test
  void rejectsACatalogueWhoseDefaultIsOutOfRange() {
    List<Setting> invalid = List.of(Setting.integer("pool-size", 0, 1, 10, "Pool size."));

    assertThatThrownBy(() -> new Settings(invalid))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("default of setting pool-size = 0 is out of range 1..10");
  }

  @Test
  void rejectsASettingNameThatIsNotKebabCase() {
    assertThatThrownBy(() -> Setting.text("max_users", null, "Users."))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'max_users' is not kebab-case");
  }
}
