package dev.durablesql.engine.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code durable logs ID}: the instance's log, optionally followed until the instance ends. */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = {
      "Prints what happened to an instance, in time order: its start, each node that ran with"
          + " its result or error, retries, signals, cancel requests, engine takeovers, its end.",
      "With --follow, keeps printing new entries until the instance is completed, failed or"
          + " cancelled."
    })
final class LogsCommand implements Callable<Integer> {
  private static final Duration POLL_INTERVAL = Duration.ofMillis(500);

  /**
   * How long {@code --follow} goes on after the status turned terminal without the engine's closing
   * entry: a cancel is written by the user, and the engine stamps the nodes it stopped shortly
   * after (or never, when no engine runs).
   */
  private static final Duration CLOSING_GRACE = Duration.ofSeconds(3);

  @Mixin ConfigOptions configOptions;
  @Mixin ConnectionOptions connection;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "The instance id df.start returned.")
  String idText;

  @Option(
      names = {"-f", "--follow"},
      description = "Keep printing new entries until the instance has ended.")
  boolean follow;

  @Option(
      names = "--json",
      description = "Print one JSON document; with --follow, one JSON object per line.")
  boolean json;

  @Override
  public Integer call() throws InterruptedException {
    InstanceId id = InstanceId.of(idText);
    PrintWriter out = spec.commandLine().getOut();
    try (RoleSession session = RoleSession.open(configOptions, connection)) {
      InstanceLog.Snapshot snapshot =
          InstanceLog.read(session, id).orElseThrow(() -> session.notFound(id));
      if (!follow) {
        print(out, id, snapshot);
        return 0;
      }
      Set<String> printed = new HashSet<>();
      long terminalSince = 0;
      while (true) {
        for (LogEntry entry : snapshot.entries()) {
          if (printed.add(entry.key())) {
            out.println(json ? Json.line(entry.json()) : entry.line());
          }
        }
        out.flush();
        if (snapshot.isTerminal()) {
          terminalSince = terminalSince == 0 ? System.nanoTime() : terminalSince;
          if (snapshot.hasEnd() || System.nanoTime() - terminalSince >= CLOSING_GRACE.toNanos()) {
            return 0;
          }
        }
        Thread.sleep(POLL_INTERVAL);
        Optional<InstanceLog.Snapshot> next = InstanceLog.read(session, id);
        if (next.isEmpty()) {
          return 0; // Removed meanwhile (retention): nothing more will come.
        }
        snapshot = next.get();
      }
    }
  }

  private void print(PrintWriter out, InstanceId id, InstanceLog.Snapshot snapshot) {
    if (json) {
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("instance_id", id.value());
      document.put("status", snapshot.status());
      document.put("entries", snapshot.entries().stream().map(LogEntry::json).toList());
      out.println(Json.document(document));
    } else {
      for (LogEntry entry : snapshot.entries()) {
        out.println(entry.line());
      }
    }
    out.flush();
  }
}
