package dev.durablesql.engine.activity;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PluginJars;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * R-EXT-4 with a real plugin: the example jar, built by the reactor, copied into a plugins folder,
 * found by an engine and run from SQL with df.activity, next to a broken jar the engine reports and
 * skips.
 */
class PluginActivityTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path plugins;
  private static Workflows workflows;
  private static Engine engine;

  @BeforeAll
  static void start() throws Exception {
    workflows = new Workflows(postgres);
    Files.copy(PluginJars.exampleJar(), plugins.resolve("example-checksum.jar"));
    PluginJars.notAJar(plugins, "broken.jar");
    engine =
        Engine.start(
            postgres
                .engineConfig("plugin-engine")
                .withActivities(
                    ActivitySettings.defaults()
                        .withPluginsDirectory(plugins)
                        .withValue("plugin.checksum.signing-key", "s3cret")));
  }

  @AfterAll
  static void stop() {
    engine.close();
  }

  private JsonNode run(String future) throws Exception {
    String id = workflows.start(ALICE, future);
    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    return JSON.readTree(workflows.result(id));
  }

  @Test
  void theEngineFoundTheExamplePluginAndReportedTheBrokenJar() {
    assertThat(engine.activityCatalog().types()).contains("checksum", "http", "embed");
    assertThat(engine.activityCatalog().problems())
        .anySatisfy(problem -> assertThat(problem.source()).contains("broken.jar"));
  }

  @Test
  void theExampleActivityRunsFromSqlWithItsSubstitutedConfig() throws Exception {
    JsonNode result =
        run(
            "df.seq(df.as('SELECT ''hello'' AS word', 'w'),"
                + " df.activity('checksum', '{\"input\": \"$w.word\"}'))");

    assertThat(result.get("algorithm").asText()).isEqualTo("SHA-256");
    assertThat(result.get("digest").asText())
        .isEqualTo("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    assertThat(result.get("bytes").asInt()).isEqualTo(5);
  }

  @Test
  void aPluginReadsItsSecretFromTheEngineConfigurationNotFromTheWorkflow() throws Exception {
    JsonNode result =
        run(
            "df.activity('checksum', '{\"input\": \"paid\", \"hmac_key_setting\": \"signing-key\"}')");

    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec("s3cret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    assertThat(result.get("digest").asText())
        .isEqualTo(HexFormat.of().formatHex(mac.doFinal("paid".getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void badConfigFailsThePluginStepWithItsMessage() throws Exception {
    String id = workflows.start(ALICE, "df.activity('checksum', '{\"input\": 5}')");

    assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT result #>> '{}' FROM df.nodes WHERE instance_id = ?", id))
        .contains("input");
  }
}
