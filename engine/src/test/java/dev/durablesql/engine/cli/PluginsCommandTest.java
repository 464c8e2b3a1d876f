package dev.durablesql.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.engine.testing.PluginJars;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginsCommandTest {
  private static final String EXAMPLE_CLASS = "dev.durablesql.example.checksum.ChecksumActivity";
  private static final String EXAMPLE_JAR = "example-checksum.jar";

  @TempDir Path plugins;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void dropTheExamplePlugin() throws IOException {
    Files.copy(PluginJars.exampleJar(), plugins.resolve(EXAMPLE_JAR));
  }

  private int durable(String... args) {
    return DurableCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void listsEveryTypeWithSourceVersionAndClass() {
    int exit = durable("plugins", "--plugins-dir", plugins.toString());

    assertThat(exit).isZero();
    assertThat(err.toString()).isEmpty();
    List<String> lines = out.toString().lines().toList();
    assertThat(lines.getFirst()).isEqualTo("plugins folder: " + plugins.toAbsolutePath());
    assertThat(lines.get(1)).startsWith("TYPE").contains("SOURCE", "VERSION", "CLASS");
    assertThat(lines.get(2))
        .startsWith("sql ")
        .contains("built-in (engine)")
        .endsWith("dev.durablesql.engine.step.SqlStep");
    assertThat(lines)
        .anySatisfy(line ->
            assertThat(line.split(" {2,}"))
                .containsExactly(
                    "checksum", EXAMPLE_JAR, PluginJars.exampleVersion(), EXAMPLE_CLASS));
  }

  @Test
  void readsThePluginsFolderFromTheSetting() {
    int exit = durable("plugins", "--set", "plugins-dir=" + plugins);

    assertThat(exit).isZero();
    assertThat(out.toString()).contains(EXAMPLE_JAR);
  }

  @Test
  void printsProblemsOnStderrAndExitsWithOne() throws IOException {
    PluginJars.notAJar(plugins, "broken.jar");

    int exit = durable("plugins", "--plugins-dir", plugins.toString());

    assertThat(exit).isEqualTo(1);
    assertThat(out.toString()).contains(EXAMPLE_CLASS).doesNotContain("broken.jar");
    assertThat(err.toString().lines())
        .singleElement()
        .asString()
        .startsWith("durable: broken.jar: cannot be read as a jar file");
  }

  @Test
  void printsJson() throws IOException {
    PluginJars.notAJar(plugins, "broken.jar");

    int exit = durable("plugins", "--plugins-dir", plugins.toString(), "--json");

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString()).isEmpty();
    JsonNode report = new ObjectMapper().readTree(out.toString());
    assertThat(report.get("plugins_dir").asText()).isEqualTo(plugins.toAbsolutePath().toString());
    assertThat(report.get("plugins_dir_exists").asBoolean()).isTrue();
    List<String> types = new ArrayList<>();
    report.get("activities").forEach(activity -> types.add(activity.get("type").asText()));
    assertThat(types).startsWith("sql").contains("checksum");
    JsonNode checksum = report.get("activities").get(types.indexOf("checksum"));
    assertThat(checksum.get("source").asText()).isEqualTo(EXAMPLE_JAR);
    assertThat(checksum.get("version").asText()).isEqualTo(PluginJars.exampleVersion());
    assertThat(checksum.get("class").asText()).isEqualTo(EXAMPLE_CLASS);
    assertThat(report.get("problems")).hasSize(1);
    assertThat(report.get("problems").get(0).get("source").asText()).isEqualTo("broken.jar");
  }

  @Test
  void aMissingFolderIsNoProblem() {
    Path missing = plugins.resolve("nothing-here");

    int exit = durable("plugins", "--plugins-dir", missing.toString());

    assertThat(exit).isZero();
    assertThat(out.toString())
        .startsWith(
            "plugins folder: "
                + missing.toAbsolutePath()
                + " (does not exist: built-in activities only)")
        .doesNotContain("checksum");
  }
}
