package dev.durablesql.engine.config;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Keeps docs/configuration.md in step with the catalogue. */
class ConfigurationDocsTest {
  private static final String TABLE_HEADER = "| Setting | Default | Meaning |";
  private static final String NO_DEFAULT = "none";

  private record Row(String name, String defaultValue, String meaning) {}

  @Test
  void settingsTableListsExactlyTheCatalogueWithItsDefaults() throws IOException {
    List<String> expected =
        Settings.standard().all().stream()
            .map(setting -> setting.name() + " = " + setting.defaultText().orElse(NO_DEFAULT))
            .toList();

    List<String> documented =
        documentedRows().stream().map(row -> row.name() + " = " + row.defaultValue()).toList();

    assertThat(documented).containsExactlyElementsOf(expected);
  }

  @Test
  void settingsTableStatesTheRangeOfEveryRangedSetting() throws IOException {
    List<Row> rows = documentedRows();

    for (Setting setting : Settings.standard().all()) {
      Row row =
          rows.stream().filter(r -> r.name().equals(setting.name())).findFirst().orElseThrow();
      switch (setting.kind()) {
        case SettingKind.IntegerRange range ->
            assertThat(row.meaning()).as(setting.name()).contains("Range " + range.range() + ".");
        case SettingKind.DurationRange range ->
            assertThat(row.meaning()).as(setting.name()).contains("Range " + range.range() + ".");
        case SettingKind.OneOf choices ->
            assertThat(row.meaning())
                .as(setting.name())
                .contains(String.join(", ", choices.values()));
        default -> assertThat(row.meaning()).as(setting.name()).isNotBlank();
      }
    }
  }

  private static List<Row> documentedRows() throws IOException {
    List<String> lines = Files.readAllLines(configurationDoc(), UTF_8);
    int header = lines.indexOf(TABLE_HEADER);
    assertThat(header).as("line '%s' in docs/configuration.md", TABLE_HEADER).isNotNegative();
    List<Row> rows = new ArrayList<>();
    // Skip the header and the | --- | line; the table ends at the first line not starting with |.
    for (String line : lines.subList(header + 2, lines.size())) {
      if (!line.startsWith("|")) {
        break;
      }
      String[] cells = line.substring(1, line.length() - 1).split("\\|", -1);
      assertThat(cells).as(line).hasSize(3);
      List<String> trimmed = Arrays.stream(cells).map(String::strip).toList();
      rows.add(new Row(unquote(trimmed.get(0)), unquote(trimmed.get(1)), trimmed.get(2)));
    }
    return rows;
  }

  private static String unquote(String cell) {
    return cell.startsWith("`") && cell.endsWith("`") ? cell.substring(1, cell.length() - 1) : cell;
  }

  /** Finds docs/configuration.md above the working directory, wherever Maven runs the tests. */
  private static Path configurationDoc() {
    for (Path directory = Path.of("").toAbsolutePath();
        directory != null;
        directory = directory.getParent()) {
      Path candidate = directory.resolve("docs").resolve("configuration.md");
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "docs/configuration.md not found above " + Path.of("").toAbsolutePath());
  }
}
