package dev.durablesql.engine.cli;

import java.io.PrintWriter;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code durable cancel ID}: df.cancel from the command line. */
@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description = {
      "Cancels an instance (df.cancel): its status becomes cancelled at once and the engine"
          + " running it stops its steps. A finished instance stays as it is."
    })
final class CancelCommand implements Callable<Integer> {
  private static final String DEFAULT_REASON = "Cancelled by user";

  @Mixin ConfigOptions configOptions;
  @Mixin ConnectionOptions connection;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "The instance id df.start returned.")
  String idText;

  @Option(
      names = "--reason",
      paramLabel = "TEXT",
      defaultValue = DEFAULT_REASON,
      description = "Why; becomes the instance's output. Default: ${DEFAULT-VALUE}.")
  String reason;

  @Option(names = "--json", description = "Print one JSON document.")
  boolean json;

  @Override
  public Integer call() {
    InstanceId id = InstanceId.of(idText);
    String before;
    String after;
    try (RoleSession session = RoleSession.open(configOptions, connection)) {
      before = session.requireStatus(id);
      cancel(session, id);
      after = session.requireStatus(id);
    }
    // Compared with the status after the call: the instance may have ended just before it.
    boolean cancelled = !RoleSession.isTerminal(before) && after.equals("cancelled");
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("instance_id", id.value());
      document.put("cancelled", cancelled);
      document.put("status", after);
      document.put("reason", cancelled ? reason : null);
      out.println(Json.document(document));
    } else if (cancelled) {
      out.println("instance " + id + " cancelled: " + reason);
    } else {
      out.println("instance " + id + " is already " + after + ": nothing to cancel");
    }
    out.flush();
    return 0;
  }

  private void cancel(RoleSession session, InstanceId id) {
    try (PreparedStatement statement =
        session.connection().prepareStatement("SELECT df.cancel(?, ?)")) {
      statement.setString(1, id.value());
      statement.setString(2, reason);
      try (ResultSet row = statement.executeQuery()) {
        row.next();
      }
    } catch (SQLException e) {
      if (String.valueOf(e.getMessage()).contains("not found or access denied")) {
        throw session.notFound(id);
      }
      throw RoleSession.failure("cancel instance " + id, e);
    }
  }
}
