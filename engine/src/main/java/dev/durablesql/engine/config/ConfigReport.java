package dev.durablesql.engine.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code durable config} prints: one row per setting with its default, its effective value and
 * where that value came from. Secret values are shown as {@value Setting#MASK}.
 */
public final class ConfigReport {
  private static final List<String> HEADER = List.of("NAME", "DEFAULT", "VALUE", "SOURCE");
  private static final String NONE = "-";
  private static final String GAP = "  ";

  private final Config config;

  public ConfigReport(Config config) {
    this.config = requireNonNull(config, "config is null");
  }

  /**
   * The settings as an aligned text table with a header row; a setting without a value shows {@code
   * -}. Every line ends with a line feed.
   */
  public String render() {
    List<List<String>> lines = new ArrayList<>();
    lines.add(HEADER);
    for (Setting setting : config.settings().all()) {
      lines.add(
          List.of(
              setting.name(),
              setting.defaultText().map(setting::shown).orElse(NONE),
              config.text(setting.name()).map(setting::shown).orElse(NONE),
              config.source(setting.name()).describe()));
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

  /**
   * The settings as maps for {@code durable config --json}, in catalogue order, with the keys
   * {@code name}, {@code default}, {@code value}, {@code source}, {@code secret}, {@code accepts}
   * and {@code meaning}. {@code default} and {@code value} are null when there is none and {@value
   * Setting#MASK} when secret.
   */
  public List<Map<String, Object>> rows() {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Setting setting : config.settings().all()) {
      // LinkedHashMap: keeps the key order in the JSON and allows null values.
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", setting.name());
      row.put("default", setting.defaultText().map(setting::shown).orElse(null));
      row.put("value", config.text(setting.name()).map(setting::shown).orElse(null));
      row.put("source", config.source(setting.name()).describe());
      row.put("secret", setting.secret());
      row.put("accepts", setting.kind().describe());
      row.put("meaning", setting.meaning());
      rows.add(Collections.unmodifiableMap(row));
    }
    return List.copyOf(rows);
  }
}
