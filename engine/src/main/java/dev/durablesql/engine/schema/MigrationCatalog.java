package dev.durablesql.engine.schema;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The schema files shipped in the durable-sql-schema jar, in the order of {@code
 * df/migrations.list} (a list, because a jar cannot be listed like a folder).
 */
final class MigrationCatalog {
  private static final String FOLDER = "df/";

  private MigrationCatalog() {}

  static List<Migration> load(ClassLoader loader) {
    List<Migration> migrations = new ArrayList<>();
    for (String name : lines(read(loader, FOLDER + "migrations.list"))) {
      migrations.add(new Migration(name, read(loader, FOLDER + name)));
    }
    return List.copyOf(migrations);
  }

  private static List<String> lines(String text) {
    return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
  }

  private static String read(ClassLoader loader, String resource) {
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "schema resource " + resource + " is missing from the classpath: the build is broken");
      }
      try (BufferedReader reader =
          new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        StringBuilder text = new StringBuilder();
        reader.lines().forEach(line -> text.append(line).append('\n'));
        return text.toString();
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read schema resource " + resource, e);
    }
  }
}
