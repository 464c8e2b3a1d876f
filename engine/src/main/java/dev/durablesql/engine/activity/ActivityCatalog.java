package dev.durablesql.engine.activity;

import static java.util.Objects.requireNonNull;

import dev.durablesql.activity.Activity;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The activities an engine can run, by type: the built-in ones on the engine's class path and those
 * of the jars in the plugins folder, each jar in its own {@link PluginClassLoader}. Found once, at
 * start, and immutable after; safe to share between threads.
 *
 * <p>A bad plugin never stops discovery: a jar that cannot be read, an activity that cannot be
 * loaded or constructed, an invalid or duplicate type name each become a {@link Problem}, logged at
 * WARN, and the engine starts with the others. Of two activities with one type the first found
 * wins: built-ins before plugins, plugins in the order of their file names.
 */
public final class ActivityCatalog {
  private static final Logger log = LoggerFactory.getLogger(ActivityCatalog.class);

  /** The source of activities found on the engine's class path. */
  public static final String BUILT_IN = "built-in";

  /** The source of {@value #SQL_TYPE}, which the engine runs itself. */
  public static final String ENGINE = "built-in (engine)";

  /**
   * The type of SQL steps. The engine runs them itself, in the transaction of their checkpoint, so
   * {@link #find} never returns an activity for it; {@link #entries} lists it all the same.
   */
  public static final String SQL_TYPE = "sql";

  /** What {@code durable plugins} and the engine's log show of one activity type. */
  public record Entry(String type, String source, String version, String className) {
    /**
     * @param type the activity type, such as {@code checksum}
     * @param source {@value ActivityCatalog#BUILT_IN}, {@value ActivityCatalog#ENGINE} or the file
     *     name of the plugin jar
     * @param version the jar manifest's {@code Implementation-Version}, or {@code unknown}
     * @param className the class implementing the type
     */
    public Entry {
      requireNonNull(type, "type is null");
      requireNonNull(source, "source is null");
      requireNonNull(version, "version is null");
      requireNonNull(className, "className is null");
    }
  }

  /**
   * Something that kept a jar or an activity out of the catalogue.
   *
   * @param source {@value ActivityCatalog#BUILT_IN}, the file name of a plugin jar, or the plugins
   *     folder
   * @param message what went wrong and what the engine did about it
   */
  public record Problem(String source, String message) {
    public Problem {
      requireNonNull(source, "source is null");
      requireNonNull(message, "message is null");
    }
  }

  private final Map<String, Activity> activities;
  private final SortedSet<String> types;
  private final List<Entry> entries;
  private final List<Problem> problems;
  private final String folderNote;

  ActivityCatalog(
      Map<String, Activity> activities,
      List<Entry> entries,
      List<Problem> problems,
      String folderNote) {
    this.activities = Collections.unmodifiableMap(new LinkedHashMap<>(activities));
    this.types = Collections.unmodifiableSortedSet(new TreeSet<>(activities.keySet()));
    this.entries = List.copyOf(entries);
    this.problems = List.copyOf(problems);
    this.folderNote = requireNonNull(folderNote, "folderNote is null");
  }

  /**
   * Finds the built-in activities with {@link java.util.ServiceLoader} on {@code engineLoader},
   * then those of every {@code *.jar} in {@code pluginsDirectory} (in file name order), and logs a
   * one-line summary at INFO. Never throws for a bad plugin; see {@link #problems()}.
   *
   * @param pluginsDirectory the plugins folder, relative paths against the working directory; empty
   *     means built-in activities only, and so does a folder that does not exist
   * @param engineLoader the engine's class loader: it finds the built-ins and gives plugins the SPI
   */
  public static ActivityCatalog discover(
      Optional<Path> pluginsDirectory, ClassLoader engineLoader) {
    requireNonNull(pluginsDirectory, "pluginsDirectory is null");
    requireNonNull(engineLoader, "engineLoader is null");
    ActivityCatalog catalog = new Discovery(engineLoader).run(pluginsDirectory);
    log.info(catalog.summary());
    return catalog;
  }

  /**
   * A catalogue of exactly {@code activities}, without discovery: for embedding the engine's
   * activity runner elsewhere (benchmarks, tests).
   *
   * @throws IllegalArgumentException when two activities share a type
   */
  public static ActivityCatalog of(List<Activity> activities) {
    Map<String, Activity> byType = new LinkedHashMap<>();
    List<Entry> entries = new java.util.ArrayList<>();
    for (Activity activity : activities) {
      if (byType.putIfAbsent(activity.type(), activity) != null) {
        throw new IllegalArgumentException("two activities have type " + activity.type());
      }
      entries.add(new Entry(activity.type(), BUILT_IN, "unknown", activity.getClass().getName()));
    }
    return new ActivityCatalog(byType, entries, List.of(), "given, not discovered");
  }

  /**
   * The activity of {@code type}, or empty when there is none (and always for {@value #SQL_TYPE}).
   */
  public Optional<Activity> find(String type) {
    return Optional.ofNullable(activities.get(requireNonNull(type, "type is null")));
  }

  /** The types {@link #find} resolves, sorted; {@value #SQL_TYPE} is not among them. */
  public SortedSet<String> types() {
    return types;
  }

  /**
   * Every type with its source: {@value #SQL_TYPE} first, then the built-ins, then the plugins' in
   * the order they were found.
   */
  public List<Entry> entries() {
    return entries;
  }

  /** What kept jars or activities out, in the order found; empty when everything loaded. */
  public List<Problem> problems() {
    return problems;
  }

  /**
   * One line for the log, such as {@code activities: sql, http, checksum (plugin
   * example-checksum-0.1.0.jar); plugins folder /srv/durable/plugins}.
   */
  String summary() {
    String types =
        entries.stream()
            .map(entry ->
                entry.source().startsWith(BUILT_IN)
                    ? entry.type()
                    : entry.type() + " (plugin " + entry.source() + ")")
            .collect(Collectors.joining(", "));
    String summary = "activities: " + types;
    if (!folderNote.isEmpty()) {
      summary += "; " + folderNote;
    }
    if (!problems.isEmpty()) {
      summary +=
          "; "
              + problems.size()
              + (problems.size() == 1 ? " problem" : " problems")
              + " (see the warnings above; durable plugins lists them)";
    }
    return summary;
  }
}
