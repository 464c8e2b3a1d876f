package dev.durablesql.engine.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --url}, {@code --user} and {@code --password}: which database and role a command connects
 * as. Shorthands for {@code --set url=...} and so on.
 */
final class ConnectionOptions {
  @Option(
      names = "--url",
      paramLabel = "JDBC-URL",
      description = "Database holding the df schema, e.g. jdbc:postgresql://127.0.0.1:5432/app.")
  String url;

  @Option(names = "--user", paramLabel = "ROLE", description = "Role to log in as.")
  String user;

  @Option(
      names = "--password",
      paramLabel = "PASSWORD",
      description =
          "Password of that role. Visible to other users in the process list: prefer"
              + " DURABLE_PASSWORD, a --config file or ~/.pgpass.")
  String password;

  List<String> assignments() {
    List<String> assignments = new ArrayList<>();
    if (url != null) {
      assignments.add("url=" + url);
    }
    if (user != null) {
      assignments.add("user=" + user);
    }
    if (password != null) {
      assignments.add("password=" + password);
    }
    return assignments;
  }
}
