package dev.durablesql.engine.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.durablesql.engine.activity.ActivityCatalog;
import dev.durablesql.engine.activity.ActivityCatalog.Entry;
import dev.durablesql.engine.activity.ActivityCatalog.Problem;
import dev.durablesql.engine.config.Config;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code durable plugins}: the activity types an engine started here would load, and problems. */
@Command(
    name = "plugins",
    mixinStandardHelpOptions = true,
    description = {
      "Lists the activity types an engine started with this configuration would load: built-in"
          + " ones and those of the jars in plugins-dir, with their source, version and class.",
      "Needs no database. Exits with 1 when a jar or an activity could not be loaded; the"
          + " problems go to stderr (with --json, into the JSON)."
    })
final class PluginsCommand implements Callable<Integer> {
  private static final List<String> HEADER = List.of("TYPE", "SOURCE", "VERSION", "CLASS");
  private static final String GAP = "  ";

  @Mixin ConfigOptions configOptions;
  @Spec CommandSpec spec;

  @Option(
      names = "--plugins-dir",
      paramLabel = "DIR",
      description = "Folder of plugin jars; shorthand for --set plugins-dir=DIR.")
  Path pluginsDir;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    List<String> flags = new ArrayList<>();
    if (pluginsDir != null) {
      flags.add("plugins-dir=" + pluginsDir);
    }
    Config config = configOptions.load(flags);
    Path folder = EngineSettings.pluginsDirectory(config).toAbsolutePath().normalize();
    ActivityCatalog catalog = configOptions.verbose ? discover(folder) : discoverQuietly(folder);

    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(
          new ObjectMapper()
              .enable(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(report(folder, catalog)));
    } else {
      out.println(
          "plugins folder: "
              + folder
              + (Files.isDirectory(folder) ? "" : " (does not exist: built-in activities only)"));
      out.print(table(catalog.entries()));
      PrintWriter err = spec.commandLine().getErr();
      for (Problem problem : catalog.problems()) {
        err.println("durable: " + problem.source() + ": " + problem.message());
      }
      err.flush();
    }
    out.flush();
    return catalog.problems().isEmpty() ? 0 : 1;
  }

  private static Map<String, Object> report(Path folder, ActivityCatalog catalog) {
    // LinkedHashMap: keeps the key order in the JSON.
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("plugins_dir", folder.toString());
    report.put("plugins_dir_exists", Files.isDirectory(folder));
    List<Map<String, Object>> activities = new ArrayList<>();
    for (Entry entry : catalog.entries()) {
      Map<String, Object> activity = new LinkedHashMap<>();
      activity.put("type", entry.type());
      activity.put("source", entry.source());
      activity.put("version", entry.version());
      activity.put("class", entry.className());
      activities.add(activity);
    }
    report.put("activities", activities);
    List<Map<String, Object>> problems = new ArrayList<>();
    for (Problem problem : catalog.problems()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("source", problem.source());
      row.put("message", problem.message());
      problems.add(row);
    }
    report.put("problems", problems);
    return report;
  }

  /** The entries as an aligned table with a header row, like {@code durable config}'s. */
  private static String table(List<Entry> entries) {
    List<List<String>> lines = new ArrayList<>();
    lines.add(HEADER);
    for (Entry entry : entries) {
      lines.add(List.of(entry.type(), entry.source(), entry.version(), entry.className()));
    }
    int[] widths = new int[HEADER.size()];
    for (List<String> line : lines) {
      for (int column = 0; column < widths.length; column++) {
        widths[column] = Math.max(widths[column], line.get(column).length());
      }
    }
    StringBuilder text = new StringBuilder();
    for (List<String> line : lines) {
      for (int column = 0; column < widths.length - 1; column++) {
        text.append(line.get(column))
            .append(" ".repeat(widths[column] - line.get(column).length()))
            .append(GAP);
      }
      text.append(line.get(widths.length - 1)).append('\n');
    }
    return text.toString();
  }

  private static ActivityCatalog discover(Path folder) {
    return ActivityCatalog.discover(Optional.of(folder), PluginsCommand.class.getClassLoader());
  }

  /** Discovers with the catalogue's log off: the command prints the problems itself. */
  private static ActivityCatalog discoverQuietly(Path folder) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return discover(folder);
    }
    ch.qos.logback.classic.Logger logger = context.getLogger(ActivityCatalog.class);
    Level previous = logger.getLevel();
    logger.setLevel(Level.OFF);
    try {
      return discover(folder);
    } finally {
      logger.setLevel(previous);
    }
  }
}
