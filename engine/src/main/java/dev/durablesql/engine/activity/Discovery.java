package dev.durablesql.engine.activity;

import static java.util.Objects.requireNonNull;

import dev.durablesql.activity.Activity;
import dev.durablesql.engine.activity.ActivityCatalog.Entry;
import dev.durablesql.engine.activity.ActivityCatalog.Problem;
import dev.durablesql.engine.step.SqlStep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One run of activity discovery: collects activities, entries and problems for a catalogue. */
final class Discovery {
  private static final Logger log = LoggerFactory.getLogger(ActivityCatalog.class);
  private static final Pattern TYPE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
  private static final String SERVICE_FILE = "META-INF/services/" + Activity.class.getName();
  private static final String UNKNOWN_VERSION = "unknown";
  // ServiceLoader makes a best effort to go on after an error; this bounds a source that fails
  // the same way every time.
  private static final int MAX_ERRORS_PER_SOURCE = 50;

  private final ClassLoader engineLoader;
  private final Map<String, Activity> activities = new LinkedHashMap<>();
  private final Map<String, Entry> entriesByType = new LinkedHashMap<>();
  private final List<Problem> problems = new ArrayList<>();
  private String folderNote = "";

  Discovery(ClassLoader engineLoader) {
    this.engineLoader = requireNonNull(engineLoader, "engineLoader is null");
  }

  ActivityCatalog run(Optional<Path> pluginsDirectory) {
    entriesByType.put(
        ActivityCatalog.SQL_TYPE,
        new Entry(
            ActivityCatalog.SQL_TYPE,
            ActivityCatalog.ENGINE,
            version(SqlStep.class),
            SqlStep.class.getName()));
    load(ActivityCatalog.BUILT_IN, Optional.empty(), engineLoader);
    pluginsDirectory.ifPresent(this::loadFolder);
    return new ActivityCatalog(
        activities, List.copyOf(entriesByType.values()), problems, folderNote);
  }

  private void loadFolder(Path folder) {
    Path absolute = folder.toAbsolutePath().normalize();
    if (!Files.exists(absolute)) {
      folderNote = "no plugins folder at " + absolute;
      return;
    }
    if (!Files.isDirectory(absolute)) {
      problem(
          absolute.toString(), "the plugins folder is not a directory; no plugin is loaded", null);
      return;
    }
    List<Path> jars;
    try (Stream<Path> files = Files.list(absolute)) {
      jars =
          files
              .filter(
                  file -> file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jar"))
              .filter(Files::isRegularFile)
              .sorted(Comparator.comparing(file -> file.getFileName().toString()))
              .toList();
    } catch (IOException | UncheckedIOException e) {
      problem(
          absolute.toString(),
          "the plugins folder cannot be listed (" + e.getMessage() + "); no plugin is loaded",
          null);
      return;
    }
    folderNote = "plugins folder " + absolute + (jars.isEmpty() ? " (no jars)" : "");
    for (Path jar : jars) {
      loadJar(jar);
    }
  }

  private void loadJar(Path jar) {
    String source = jar.getFileName().toString();
    Optional<String> version;
    try (JarFile file = new JarFile(jar.toFile())) {
      Manifest manifest = file.getManifest();
      version =
          Optional.ofNullable(manifest)
              .map(m -> m.getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION));
      if (file.getEntry(SERVICE_FILE) == null) {
        problem(
            source,
            "holds no "
                + SERVICE_FILE
                + ", so no activity; skipped (libraries a plugin needs belong shaded into the"
                + " plugin's own jar)",
            null);
        return;
      }
    } catch (IOException | SecurityException e) {
      problem(source, "cannot be read as a jar file (" + e.getMessage() + "); skipped", null);
      return;
    }
    PluginClassLoader loader;
    try {
      loader = new PluginClassLoader(jar, engineLoader);
    } catch (MalformedURLException e) {
      problem(source, "has no valid URL (" + e.getMessage() + "); skipped", null);
      return;
    }
    if (load(source, version, loader) == 0) {
      close(source, loader);
    }
  }

  /** Adds the activities {@code loader} provides; returns how many were added. */
  private int load(String source, Optional<String> jarVersion, ClassLoader loader) {
    Iterator<Activity> providers = ServiceLoader.load(Activity.class, loader).iterator();
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    // A plugin's constructor runs with its own loader as the context loader (STYLE.md: every call
    // into a plugin does), so libraries shaded into it that look there find its classes.
    thread.setContextClassLoader(loader);
    int added = 0;
    int errors = 0;
    try {
      while (true) {
        Activity activity;
        try {
          if (!providers.hasNext()) {
            break;
          }
          activity = providers.next();
        } catch (ServiceConfigurationError | LinkageError e) {
          problem(source, "an activity cannot be loaded: " + describe(e) + "; skipped", e);
          if (++errors == MAX_ERRORS_PER_SOURCE) {
            problem(
                source, "stopped looking for more activities after " + errors + " errors", null);
            break;
          }
          continue;
        }
        if (add(source, jarVersion, activity)) {
          added++;
        }
      }
    } finally {
      thread.setContextClassLoader(previous);
    }
    return added;
  }

  private boolean add(String source, Optional<String> jarVersion, Activity activity) {
    String className = activity.getClass().getName();
    String type;
    try {
      type = activity.type();
    } catch (RuntimeException | LinkageError e) {
      problem(source, "activity " + className + " fails in type(): " + e + "; skipped", e);
      return false;
    }
    if (type == null || !TYPE_NAME.matcher(type).matches()) {
      problem(
          source,
          "activity "
              + className
              + " has the invalid type name "
              + (type == null ? "null" : "'" + type + "'")
              + " (use lower-case letters, digits, '.', '_' and '-', starting with a letter or"
              + " digit); skipped",
          null);
      return false;
    }
    Entry first = entriesByType.get(type);
    if (first != null) {
      problem(
          source,
          "type '"
              + type
              + "' of "
              + className
              + " from "
              + source
              + " is already taken by "
              + first.className()
              + " from "
              + first.source()
              + "; the first one found wins, so this one is skipped",
          null);
      return false;
    }
    activities.put(type, activity);
    entriesByType.put(
        type,
        new Entry(
            type, source, jarVersion.orElseGet(() -> version(activity.getClass())), className));
    return true;
  }

  private void problem(String source, String message, Throwable cause) {
    problems.add(new Problem(source, message));
    if (cause == null) {
      log.warn("{}: {}", source, message);
    } else {
      log.warn("{}: {}", source, message, cause);
    }
  }

  private static void close(String source, PluginClassLoader loader) {
    try {
      loader.close();
    } catch (IOException e) {
      log.debug("{}: closing its class loader failed", source, e);
    }
  }

  /**
   * The error's message with its cause, such as "Provider X could not be instantiated: ...", and a
   * hint when a class is missing.
   */
  private static String describe(Throwable error) {
    String text =
        error instanceof ServiceConfigurationError ? error.getMessage() : error.toString();
    String servicePrefix = Activity.class.getName() + ": ";
    if (text != null && text.startsWith(servicePrefix)) {
      text = text.substring(servicePrefix.length());
    }
    Throwable cause = error.getCause();
    if (cause != null) {
      text += ": " + cause;
    }
    if (error instanceof NoClassDefFoundError || cause instanceof NoClassDefFoundError) {
      text += " (a plugin sees only its own jar, the SPI and the JDK: shade its dependencies in)";
    }
    return text;
  }

  private static String version(Class<?> type) {
    String version = type.getPackage().getImplementationVersion();
    return version == null ? UNKNOWN_VERSION : version;
  }
}
