package dev.durablesql.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.durablesql.engine.config.ConfigReport;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code durable config}: every setting with its default, effective value and source. */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description =
        "Prints every setting with its default, effective value and source (secrets masked).")
final class ConfigCommand implements Callable<Integer> {
  @Mixin ConfigOptions configOptions;
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    ConfigReport report = new ConfigReport(configOptions.load(List.of()));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(
          new ObjectMapper()
              .enable(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(report.rows()));
    } else {
      out.print(report.render());
    }
    out.flush();
    return 0;
  }
}
