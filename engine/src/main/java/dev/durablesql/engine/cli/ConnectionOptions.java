package dev.durablesql.engine.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --url} and {@code --user}: which database and role a command connects as. */
final class ConnectionOptions {
  @Option(
      names = "--url",
      paramLabel = "JDBC-URL",
      description = "Database holding the df schema, e.g. jdbc:postgresql://127.0.0.1:5432/app.")
  String url;

  @Option(names = "--user", paramLabel = "ROLE", description = "Role to log in as.")
  String user;

  List<String> assignments() {
    List<String> assignments = new ArrayList<>();
    if (url != null) {
      assignments.add("url=" + url);
    }
    if (user != null) {
      assignments.add("user=" + user);
    }
    return assignments;
  }
}
