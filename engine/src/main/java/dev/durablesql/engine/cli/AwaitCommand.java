package dev.durablesql.engine.cli;

import dev.durablesql.engine.EngineException;
import dev.durablesql.engine.config.DurationText;
import java.io.PrintWriter;
import java.io.Writer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code durable await ID}: waits until the instance is completed, failed or cancelled, showing its
 * progress meanwhile, and says how it ended in the exit code.
 */
@Command(
    name = "await",
    mixinStandardHelpOptions = true,
    description = {
      "Waits until the instance is completed, failed or cancelled, printing its progress (nodes"
          + " done, current steps) to stderr, then its status and output to stdout.",
      "Exit code: 0 completed, 1 failed (or an error such as an unknown id), 2 cancelled,"
          + " 3 still running when --timeout ran out."
    })
final class AwaitCommand implements Callable<Integer> {
  static final int COMPLETED = 0;
  static final int FAILED = 1;
  static final int CANCELLED = 2;
  static final int TIMED_OUT = 3;

  private static final Duration POLL_INTERVAL = Duration.ofMillis(200);

  @Mixin ConfigOptions configOptions;
  @Mixin ConnectionOptions connection;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "The instance id df.start returned.")
  String idText;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      description =
          "Stop waiting after this long (30s, 5m, 1h; a plain number is seconds) and exit"
              + " with 3. Default: wait as long as it takes.")
  String timeoutText;

  @Option(
      names = "--progress",
      paramLabel = "MODE",
      defaultValue = "auto",
      description =
          "auto (one line updated in place when stderr is a terminal, else a line per change),"
              + " lines, tty (always in place) or none. Default: auto.")
  String progressMode;

  @Option(names = "--json", description = "Print one JSON document when done.")
  boolean json;

  @Override
  public Integer call() throws InterruptedException {
    InstanceId id = InstanceId.of(idText);
    Optional<Duration> timeout = Optional.ofNullable(timeoutText).map(AwaitCommand::timeout);
    PrintWriter out = spec.commandLine().getOut();
    ProgressLine progressLine = progressLine();
    long started = System.nanoTime();
    try (RoleSession session = RoleSession.open(configOptions, connection)) {
      while (true) {
        Progress progress = Progress.read(session, id).orElseThrow(() -> session.notFound(id));
        Duration waited = Duration.ofNanos(System.nanoTime() - started);
        if (progress.isTerminal()) {
          progressLine.clear();
          report(out, id, progress, output(session, id), waited, false);
          return switch (progress.status()) {
            case "completed" -> COMPLETED;
            case "cancelled" -> CANCELLED;
            default -> FAILED;
          };
        }
        if (timeout.isPresent() && waited.compareTo(timeout.get()) >= 0) {
          progressLine.clear();
          if (json) {
            report(out, id, progress, null, waited, true);
          }
          PrintWriter err = spec.commandLine().getErr();
          err.println(
              "durable: instance "
                  + id
                  + " is still "
                  + progress.status()
                  + " after "
                  + timeoutText
                  + " ("
                  + progress.done()
                  + "/"
                  + progress.total()
                  + " nodes done); stopped waiting, the instance goes on");
          err.flush();
          return TIMED_OUT;
        }
        progressLine.show(id + " " + progress.describe(), waited);
        Thread.sleep(POLL_INTERVAL);
      }
    }
  }

  private ProgressLine progressLine() {
    PrintWriter err = spec.commandLine().getErr();
    return switch (progressMode) {
      case "auto" -> new ProgressLine(err, Terminal.isStandardErrorTerminal());
      case "lines" -> new ProgressLine(err, false);
      case "tty" -> new ProgressLine(err, true);
      case "none" -> new ProgressLine(new PrintWriter(Writer.nullWriter()), false);
      default ->
          throw new EngineException(
              "--progress " + progressMode + " is not a mode: use auto, lines, tty or none");
    };
  }

  private static Duration timeout(String text) {
    Duration timeout =
        DurationText.parse(text)
            .orElseThrow(() ->
                new EngineException(
                    "--timeout "
                        + text
                        + " is not a duration: use e.g. 30s, 5m, 1h, 250ms or a number of"
                        + " seconds"));
    if (timeout.isZero() || timeout.isNegative()) {
      throw new EngineException("--timeout must be positive, was " + text);
    }
    return timeout;
  }

  /** The instance's output as df.instance_info gives it: result, error or cancel reason. */
  private static String output(RoleSession session, InstanceId id) {
    try (PreparedStatement statement =
        session.connection().prepareStatement("SELECT output FROM df.instance_info(?)")) {
      statement.setString(1, id.value());
      try (ResultSet row = statement.executeQuery()) {
        return row.next() ? row.getString(1) : null;
      }
    } catch (SQLException e) {
      throw RoleSession.failure("read the output of instance " + id, e);
    }
  }

  private void report(
      PrintWriter out,
      InstanceId id,
      Progress progress,
      String output,
      Duration waited,
      boolean timedOut) {
    if (json) {
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("instance_id", id.value());
      document.put("status", progress.status());
      document.put("output", output);
      document.put("nodes_done", progress.done());
      document.put("nodes_total", progress.total());
      document.put("waited_ms", waited.toMillis());
      document.put("timed_out", timedOut);
      out.println(Json.document(document));
    } else {
      out.println(id + " " + progress.status() + (output == null ? "" : ": " + output));
    }
    out.flush();
  }
}
