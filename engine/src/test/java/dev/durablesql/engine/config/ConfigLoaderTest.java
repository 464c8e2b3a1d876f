package dev.durablesql.engine.config;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path directory;

  private final ConfigLoader noEnvironment = new ConfigLoader(Settings.standard(), Map.of());

  @Test
  void usesTheDefaultWhenNoSourceSetsAValue() {
    Config config = noEnvironment.load(Optional.empty(), List.of());

    assertThat(config.integer("max-user-connections")).isEqualTo(10);
    assertThat(config.source("max-user-connections")).isEqualTo(new Source.Default());
  }

  @Test
  void keepsPluginSettingsFromTheFileAndSetAsUncheckedText() throws IOException {
    Path file = propertiesFile("plugin.checksum.hmac_key=from-file\nplugin.notify.url=x");

    Config config =
        noEnvironment.load(Optional.of(file), List.of("plugin.checksum.hmac-key=from-set"));

    assertThat(config.pluginValues())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("plugin.checksum.hmac-key", "from-set", "plugin.notify.url", "x"));
  }

  @Test
  void aPluginSettingNeedsATypeAndAName() {
    assertThatThrownBy(() -> noEnvironment.load(Optional.empty(), List.of("plugin.checksum=1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown setting 'plugin.checksum'");
  }

  @Test
  void fileOverridesTheDefault() throws IOException {
    Path file = propertiesFile("max-user-connections=20");

    Config config = noEnvironment.load(Optional.of(file), List.of());

    assertThat(config.integer("max-user-connections")).isEqualTo(20);
    assertThat(config.source("max-user-connections")).isEqualTo(new Source.ConfigFile(file));
  }

  @Test
  void environmentOverridesTheFile() throws IOException {
    Path file = propertiesFile("max-user-connections=20");
    var loader =
        new ConfigLoader(Settings.standard(), Map.of("DURABLE_MAX_USER_CONNECTIONS", "30"));

    Config config = loader.load(Optional.of(file), List.of());

    assertThat(config.integer("max-user-connections")).isEqualTo(30);
    assertThat(config.source("max-user-connections"))
        .isEqualTo(new Source.Environment("DURABLE_MAX_USER_CONNECTIONS"));
  }

  @Test
  void setFlagOverridesTheEnvironment() throws IOException {
    Path file = propertiesFile("max-user-connections=20");
    var loader =
        new ConfigLoader(Settings.standard(), Map.of("DURABLE_MAX_USER_CONNECTIONS", "30"));

    Config config = loader.load(Optional.of(file), List.of("max-user-connections=40"));

    assertThat(config.integer("max-user-connections")).isEqualTo(40);
    assertThat(config.source("max-user-connections")).isEqualTo(new Source.CommandLine());
  }

  @Test
  void lastSetFlagForASettingWins() {
    Config config =
        noEnvironment.load(
            Optional.empty(), List.of("max-user-connections=40", "max_user_connections=50"));

    assertThat(config.integer("max-user-connections")).isEqualTo(50);
  }

  @Test
  void acceptsEverySpellingInTheFile() throws IOException {
    Path file =
        propertiesFile(
            "max_user_connections=20",
            "pg_durable.execution_acquire_timeout=60",
            "pg_durable.max-management-connections=8",
            "lease-duration=1m");

    Config config = noEnvironment.load(Optional.of(file), List.of());

    assertThat(config.integer("max-user-connections")).isEqualTo(20);
    assertThat(config.duration("execution-acquire-timeout")).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.integer("max-management-connections")).isEqualTo(8);
    assertThat(config.duration("lease-duration")).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void acceptsEverySpellingInSetFlags() {
    Config config =
        noEnvironment.load(
            Optional.empty(),
            List.of(
                "claim_batch_size=64", "pg_durable.max_connections_per_role=2", "log-level=DEBUG"));

    assertThat(config.integer("claim-batch-size")).isEqualTo(64);
    assertThat(config.integer("max-connections-per-role")).isEqualTo(2);
    assertThat(config.string("log-level")).isEqualTo("debug");
  }

  @Test
  void keepsEverythingAfterTheFirstEqualsSignAsTheValue() {
    Config config =
        noEnvironment.load(
            Optional.empty(), List.of("url=jdbc:postgresql://localhost/app?sslmode=require"));

    assertThat(config.string("url")).isEqualTo("jdbc:postgresql://localhost/app?sslmode=require");
  }

  @Test
  void ignoresEnvironmentVariablesThatNameNoSetting() {
    var loader =
        new ConfigLoader(
            Settings.standard(),
            Map.of("DURABLE_JAVA_OPTS", "-Xmx1g", "PATH", "/usr/bin", "DURABLE_URL", "jdbc:x"));

    Config config = loader.load(Optional.empty(), List.of());

    assertThat(config.string("url")).isEqualTo("jdbc:x");
  }

  @Test
  void treatsAnEmptyEnvironmentVariableAsUnset() {
    var loader = new ConfigLoader(Settings.standard(), Map.of("DURABLE_HTTP_BIND", ""));

    Config config = loader.load(Optional.empty(), List.of());

    assertThat(config.string("http-bind")).isEqualTo("127.0.0.1");
    assertThat(config.source("http-bind")).isEqualTo(new Source.Default());
  }

  @Test
  void readsDurationsInEveryAcceptedForm() {
    Config config =
        noEnvironment.load(
            Optional.empty(),
            List.of(
                "lease-duration=45",
                "heartbeat-interval=250ms",
                "poll-interval=PT2S",
                "shutdown-grace-period=1h",
                "execution-acquire-timeout=5m"));

    assertThat(config.duration("lease-duration")).isEqualTo(Duration.ofSeconds(45));
    assertThat(config.duration("heartbeat-interval")).isEqualTo(Duration.ofMillis(250));
    assertThat(config.duration("poll-interval")).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.duration("shutdown-grace-period")).isEqualTo(Duration.ofHours(1));
    assertThat(config.duration("execution-acquire-timeout")).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void rejectsAValueThatIsNotADuration() {
    assertThatThrownBy(() -> noEnvironment.load(Optional.empty(), List.of("lease-duration=abc")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "setting lease-duration = 'abc' is not a duration: use e.g. 30s, 5m, 1h, 250ms or an"
                + " ISO-8601 value like PT30S (from --set)");
  }

  @Test
  void rejectsANumberOutOfRange() {
    var loader = new ConfigLoader(Settings.standard(), Map.of("DURABLE_MAX_USER_CONNECTIONS", "0"));

    assertThatThrownBy(() -> loader.load(Optional.empty(), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "setting max-user-connections = 0 is out of range 1..1000"
                + " (from DURABLE_MAX_USER_CONNECTIONS)");
  }

  @Test
  void rejectsADurationOutOfRange() {
    assertThatThrownBy(
            () -> noEnvironment.load(Optional.empty(), List.of("execution-acquire-timeout=3601")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("setting execution-acquire-timeout = 3601 is out of range 1s..1h (from --set)");
  }

  @Test
  void rejectsTextWhereAWholeNumberBelongs() throws IOException {
    Path file = propertiesFile("pg-port=fifty");

    assertThatThrownBy(() -> noEnvironment.load(Optional.of(file), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "setting pg-port = 'fifty' is not a whole number: use one in 1..65535 (from "
                + file
                + ")");
  }

  @Test
  void rejectsABooleanOtherThanTrueOrFalse() {
    assertThatThrownBy(() -> noEnvironment.load(Optional.empty(), List.of("install-schema=yes")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "setting install-schema = 'yes' is not a boolean: use true or false (from --set)");
  }

  @Test
  void rejectsAChoiceOutsideTheList() {
    assertThatThrownBy(() -> noEnvironment.load(Optional.empty(), List.of("log-level=verbose")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "setting log-level = 'verbose' is not one of error, warn, info, debug, trace"
                + " (from --set)");
  }

  @Test
  void masksASecretValueInErrors() {
    assertThatThrownBy(() -> noEnvironment.load(Optional.empty(), List.of("password= ")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "setting password = **** is empty: give a value, or leave the setting out"
                + " (from --set)");
  }

  @Test
  void rejectsAnUnknownKeyInTheFileNamingFileAndClosestSetting() throws IOException {
    Path file = propertiesFile("url=jdbc:x", "max_user_conections=20");

    assertThatThrownBy(() -> noEnvironment.load(Optional.of(file), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "unknown setting 'max_user_conections' in config file "
                + file
                + "; did you mean 'max-user-connections'? Run durable config to list every"
                + " setting");
  }

  @Test
  void rejectsAFileThatSetsOneSettingUnderTwoSpellings() throws IOException {
    Path file = propertiesFile("max-user-connections=20", "max_user_connections=30");

    assertThatThrownBy(() -> noEnvironment.load(Optional.of(file), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "config file "
                + file
                + " sets max-user-connections twice, as max-user-connections and as"
                + " max_user_connections: keep one");
  }

  @Test
  void rejectsAMissingFile() {
    Path missing = directory.resolve("missing.properties");

    assertThatThrownBy(() -> noEnvironment.load(Optional.of(missing), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config file " + missing + " does not exist: check the path given to --config");
  }

  @Test
  void rejectsAnUnknownNameInSet() {
    assertThatThrownBy(() -> noEnvironment.load(Optional.empty(), List.of("lease-duraton=10s")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "unknown setting 'lease-duraton' in --set; did you mean 'lease-duration'? Run durable"
                + " config to list every setting");
  }

  @Test
  void rejectsASetFlagWithoutEqualsSign() {
    assertThatThrownBy(() -> noEnvironment.load(Optional.empty(), List.of("log-level")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("--set log-level is not name=value: write e.g. --set max-user-connections=20");
  }

  @Test
  void rejectsASetFlagWithoutName() {
    assertThatThrownBy(() -> noEnvironment.load(Optional.empty(), List.of("=20")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("--set =20 is not name=value: write e.g. --set max-user-connections=20");
  }

  @Test
  void rejectsALeaseShorterThanTwoHeartbeats() {
    var loader = new ConfigLoader(Settings.standard(), Map.of("DURABLE_HEARTBEAT_INTERVAL", "10s"));

    assertThatThrownBy(() -> loader.load(Optional.empty(), List.of("lease-duration=19s")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "setting lease-duration = 19s (from --set) must be at least twice heartbeat-interval ="
                + " 10s (from DURABLE_HEARTBEAT_INTERVAL), or leases lapse while the engine is"
                + " alive: raise lease-duration or lower heartbeat-interval");
  }

  @Test
  void acceptsALeaseOfExactlyTwoHeartbeats() {
    Config config =
        noEnvironment.load(
            Optional.empty(), List.of("heartbeat-interval=10s", "lease-duration=20s"));

    assertThat(config.duration("lease-duration")).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void checksOnlyTheEffectiveValue() throws IOException {
    Path file = propertiesFile("max-user-connections=0");

    Config config = noEnvironment.load(Optional.of(file), List.of("max-user-connections=5"));

    assertThat(config.integer("max-user-connections")).isEqualTo(5);
  }

  private Path propertiesFile(String... lines) throws IOException {
    return Files.write(directory.resolve("durable.properties"), List.of(lines), UTF_8);
  }
}
