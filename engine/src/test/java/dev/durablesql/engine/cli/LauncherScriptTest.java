package dev.durablesql.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@code ./durable} launcher script refuses a DURABLE_JIT it does not know, before it builds or
 * starts anything, and says which values it takes (docs/configuration.md).
 */
class LauncherScriptTest {
  /** The launcher at the root of the checkout; the tests run in the engine module's folder. */
  private static final Path LAUNCHER = Path.of("..", "durable").toAbsolutePath().normalize();

  @Test
  void anUnknownJitChoiceIsRefusedWithTheValuesItTakes() throws Exception {
    assertThat(LAUNCHER).isRegularFile();

    Run run = launch("bogus", "--version");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr())
        .contains("DURABLE_JIT must be quick (C1 only), full (C1 and C2) or auto")
        .contains("not 'bogus'");
  }

  private record Run(int exitCode, String stderr) {}

  private static Run launch(String jit, String... arguments)
      throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("bash", LAUNCHER.toString()));
    command.addAll(List.of(arguments));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("DURABLE_JIT", jit);
    builder.environment().remove("DURABLE_JAVA_OPTS");
    builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Path stderr = Files.createTempFile("durable-launcher", ".err");
    builder.redirectError(stderr.toFile());
    Process process = builder.start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String text = Files.readString(stderr, StandardCharsets.UTF_8);
    Files.delete(stderr);
    return new Run(process.exitValue(), text);
  }
}
