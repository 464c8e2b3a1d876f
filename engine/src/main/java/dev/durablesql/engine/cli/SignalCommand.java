package dev.durablesql.engine.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.durablesql.engine.EngineException;
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

/** {@code durable signal ID NAME [PAYLOAD]}: df.signal from the command line. */
@Command(
    name = "signal",
    mixinStandardHelpOptions = true,
    description = {
      "Sends a signal to an instance (df.signal): a df.wait_for_signal(NAME) in it receives the"
          + " payload. A signal that arrives before the wait is kept until the wait takes it.",
      "The payload must be JSON: '{\"ok\": true}', '42', '\"approve\"' (quotes included)."
    })
final class SignalCommand implements Callable<Integer> {
  @Mixin ConfigOptions configOptions;
  @Mixin ConnectionOptions connection;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "The instance id df.start returned.")
  String idText;

  @Parameters(index = "1", paramLabel = "NAME", description = "The signal's name.")
  String name;

  @Parameters(
      index = "2",
      arity = "0..1",
      paramLabel = "PAYLOAD-JSON",
      description = "The signal's data as JSON. Default: {}.")
  String payload;

  @Option(names = "--json", description = "Print one JSON document.")
  boolean json;

  @Override
  public Integer call() {
    InstanceId id = InstanceId.of(idText);
    if (name.isBlank()) {
      throw new EngineException("the signal name is empty: pass the name the workflow waits for");
    }
    String data = payload == null ? "{}" : payload;
    try {
      Json.parse(data);
    } catch (JsonProcessingException e) {
      throw new EngineException(
          "the payload is not valid JSON ("
              + e.getOriginalMessage()
              + "): give an object, array, number, true/false/null or a quoted string such as"
              + " '\"approve\"'");
    }
    String status;
    try (RoleSession session = RoleSession.open(configOptions, connection)) {
      status = session.requireStatus(id);
      send(session, id, data);
    }
    boolean delivered = !RoleSession.isTerminal(status);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("instance_id", id.value());
      document.put("signal", name);
      document.put("payload", Json.stored(data));
      document.put("instance_status", status);
      document.put("accepted", delivered);
      out.println(Json.document(document));
    } else if (delivered) {
      out.println("signal '" + name + "' sent to instance " + id);
    } else {
      out.println(
          "instance " + id + " is already " + status + ": signal '" + name + "' was dropped");
    }
    out.flush();
    return 0;
  }

  private void send(RoleSession session, InstanceId id, String data) {
    try (PreparedStatement statement =
        session.connection().prepareStatement("SELECT df.signal(?, ?, ?)")) {
      statement.setString(1, id.value());
      statement.setString(2, name);
      statement.setString(3, data);
      try (ResultSet row = statement.executeQuery()) {
        row.next();
      }
    } catch (SQLException e) {
      if (String.valueOf(e.getMessage()).contains("not found or access denied")) {
        throw session.notFound(id);
      }
      throw RoleSession.failure("signal instance " + id, e);
    }
  }
}
