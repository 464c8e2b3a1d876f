package dev.durablesql.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.config.Config;
import dev.durablesql.engine.config.ConfigLoader;
import dev.durablesql.engine.config.Settings;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * An engine started from the command line with no settings and one embedded through {@link
 * EngineConfig#defaults} run alike: the two lists of defaults (the settings catalogue and the
 * record's) cannot drift apart unnoticed.
 */
class EngineSettingsTest {
  private static final String URL = "jdbc:postgresql://127.0.0.1:5432/app";

  @Test
  void theDefaultSettingsBuildTheSameEngineAsEngineConfigDefaults() {
    Config config =
        new ConfigLoader(Settings.standard(), Map.of())
            .load(Optional.empty(), List.of("url=" + URL));

    EngineConfig fromSettings = EngineSettings.engineConfig(config);
    EngineConfig defaults = EngineConfig.defaults(URL);

    // The engine name (host and pid) and the activity settings (the plugins folder of the
    // launcher) are the command line's own; everything else must match.
    assertThat(fromSettings)
        .usingRecursiveComparison()
        .ignoringFields("engineName", "activities")
        .isEqualTo(defaults);
  }
}
