package dev.durablesql.engine.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConfigReportTest {
  private final Settings settings =
      new Settings(
          List.of(
              Setting.text("url", null, "Database."),
              Setting.secret("password", "Password."),
              Setting.integer("max-user-connections", 10, 1, 1000, "Step connections."),
              Setting.path("data-dir", "~/pg", "Data.")));

  @Test
  void rendersOneAlignedRowPerSettingWithItsSource() {
    var loader = new ConfigLoader(settings, Map.of("DURABLE_URL", "jdbc:postgresql://db/app"));
    Config config = loader.load(Optional.empty(), List.of("max_user_connections=20"));

    String table = new ConfigReport(config).render();

    assertThat(table)
        .isEqualTo(
            """
            NAME                  DEFAULT  VALUE                     SOURCE
            url                   -        jdbc:postgresql://db/app  DURABLE_URL
            password              -        -                         default
            max-user-connections  10       20                        --set
            data-dir              ~/pg     ~/pg                      default
            """);
  }

  @Test
  void masksASecretThatIsSet() {
    var loader = new ConfigLoader(settings, Map.of("DURABLE_PASSWORD", "hunter2"));
    Config config = loader.load(Optional.empty(), List.of());

    String table = new ConfigReport(config).render();

    assertThat(table).contains("password").contains("****").doesNotContain("hunter2");
  }

  @Test
  void masksASecretDefault() {
    Setting withDefault =
        new Setting("api-key", "built-in-key", "Key.", new SettingKind.Text(), true);
    var loader = new ConfigLoader(new Settings(List.of(withDefault)), Map.of());
    Config config = loader.load(Optional.empty(), List.of());

    String table = new ConfigReport(config).render();

    assertThat(table)
        .isEqualTo("NAME     DEFAULT  VALUE  SOURCE\napi-key  ****     ****   default\n");
  }

  @Test
  void returnsRowsForJsonWithNullForMissingValuesAndMaskedSecrets() {
    var loader = new ConfigLoader(settings, Map.of("DURABLE_PASSWORD", "hunter2"));
    Config config = loader.load(Optional.empty(), List.of());

    List<Map<String, Object>> rows = new ConfigReport(config).rows();

    assertThat(rows).hasSize(4);
    assertThat(rows.get(0))
        .containsEntry("name", "url")
        .containsEntry("default", null)
        .containsEntry("value", null)
        .containsEntry("source", "default")
        .containsEntry("secret", false)
        .containsEntry("accepts", "text")
        .containsEntry("meaning", "Database.");
    assertThat(rows.get(1))
        .containsEntry("name", "password")
        .containsEntry("value", "****")
        .containsEntry("source", "DURABLE_PASSWORD")
        .containsEntry("secret", true);
    assertThat(rows.get(2))
        .containsEntry("default", "10")
        .containsEntry("value", "10")
        .containsEntry("accepts", "whole number 1..1000");
    assertThat(rows.get(0).keySet())
        .containsExactly("name", "default", "value", "source", "secret", "accepts", "meaning");
  }

  @Test
  void rendersTheWholeStandardCatalogue() {
    Config config =
        new ConfigLoader(Settings.standard(), Map.of()).load(Optional.empty(), List.of());

    String table = new ConfigReport(config).render();

    assertThat(table.lines()).hasSize(Settings.standard().all().size() + 1);
    assertThat(table.lines().map(line -> line.indexOf("DEFAULT")).findFirst()).contains(28);
  }
}
