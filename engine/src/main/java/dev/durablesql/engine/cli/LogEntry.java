package dev.durablesql.engine.cli;

import static java.util.Objects.requireNonNull;

import java.time.OffsetDateTime;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line of an instance's log.
 *
 * @param key tells entries apart across polls of {@code --follow}: the same fact has the same key
 * @param text the line for people, without the time
 * @param json the entry for {@code --json}, the time and kind included
 */
record LogEntry(OffsetDateTime at, String key, String text, Map<String, Object> json) {

  LogEntry {
    requireNonNull(at, "at is null");
    requireNonNull(key, "key is null");
    requireNonNull(text, "text is null");
    json = Collections.unmodifiableMap(new LinkedHashMap<>(json));
  }

  String line() {
    return Timestamps.text(at) + "  " + text;
  }
}
