package dev.durablesql.engine.activity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.activity.Activity;
import dev.durablesql.activity.ActivityContext;
import dev.durablesql.engine.activity.ActivityCatalog.Entry;
import dev.durablesql.engine.activity.ActivityCatalog.Problem;
import dev.durablesql.engine.step.SqlStep;
import dev.durablesql.engine.testing.PluginJars;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivityCatalogTest {
  private static final String EXAMPLE_CLASS = "dev.durablesql.example.checksum.ChecksumActivity";
  private static final String SHA256_OF_HELLO =
      "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

  @TempDir Path work;
  private Path plugins;
  private final ClassLoader engineLoader = ActivityCatalogTest.class.getClassLoader();

  @BeforeEach
  void createPluginsFolder() throws IOException {
    plugins = Files.createDirectory(work.resolve("plugins"));
  }

  @Test
  void loadsTheExampleJarInAClassLoaderOfItsOwn() throws Exception {
    dropExample("example-checksum.jar");

    ActivityCatalog catalog = ActivityCatalog.discover(Optional.of(plugins), engineLoader);

    assertThat(catalog.problems()).isEmpty();
    assertThat(catalog.types()).contains("checksum");
    assertThat(catalog.entries())
        .contains(
            new Entry(
                "checksum", "example-checksum.jar", PluginJars.exampleVersion(), EXAMPLE_CLASS));
    Activity checksum = catalog.find("checksum").orElseThrow();
    ClassLoader pluginLoader = checksum.getClass().getClassLoader();
    assertThat(pluginLoader).isInstanceOf(PluginClassLoader.class);
    assertThat(pluginLoader.loadClass(Activity.class.getName())).isSameAs(Activity.class);
    assertThat(pluginLoader.loadClass(ActivityContext.class.getName()))
        .isSameAs(ActivityContext.class);
    assertThat(pluginLoader.getResource("dev/durablesql/activity/Activity.class"))
        .isEqualTo(engineLoader.getResource("dev/durablesql/activity/Activity.class"));
    for (String hidden :
        List.of(
            "dev.durablesql.engine.Engine",
            "dev.durablesql.engine.activity.ActivityCatalog",
            "com.fasterxml.jackson.databind.ObjectMapper",
            "org.slf4j.Logger")) {
      assertThatThrownBy(() -> pluginLoader.loadClass(hidden))
          .as(hidden)
          .isInstanceOf(ClassNotFoundException.class);
    }
    assertThat(pluginLoader.loadClass("java.sql.Connection")).isSameAs(java.sql.Connection.class);
    assertThatThrownBy(() -> Class.forName(EXAMPLE_CLASS, false, engineLoader))
        .as("the example must reach the engine only through its jar")
        .isInstanceOf(ClassNotFoundException.class);
    assertThat(checksum.execute(new StepContext(Map.of("input", "hello"))))
        .containsEntry("digest", SHA256_OF_HELLO);
  }

  @Test
  void listsSqlAsRunByTheEngineButFindsNoActivityForIt() {
    ActivityCatalog catalog = ActivityCatalog.discover(Optional.empty(), engineLoader);

    assertThat(catalog.entries().getFirst())
        .isEqualTo(new Entry("sql", "built-in (engine)", "unknown", SqlStep.class.getName()));
    assertThat(catalog.find("sql")).isEmpty();
    assertThat(catalog.types()).doesNotContain("sql");
    assertThat(catalog.problems()).isEmpty();
  }

  @Test
  void brokenJarsAreProblemsAndTheOthersStillLoad() throws Exception {
    PluginJars.notAJar(plugins, "a-not-a-zip.jar");
    compiledJar(
        "b-missing-class.jar", Map.of(), Optional.of(List.of("com.example.MissingActivity")));
    compiledJar(
        "c-throwing.jar",
        Map.of(
            "com.example.ThrowingActivity",
            activitySource(
                "ThrowingActivity",
                "\"throwing\"",
                "throw new IllegalStateException(\"no licence key found\");")),
        Optional.of(List.of("com.example.ThrowingActivity")));
    compiledJar(
        "d-unshaded.jar",
        Map.of(
            "com.example.UnshadedActivity",
            activitySource(
                "UnshadedActivity",
                "\"unshaded\"",
                "new com.fasterxml.jackson.databind.ObjectMapper();")),
        Optional.of(List.of("com.example.UnshadedActivity")));
    compiledJar(
        "e-library.jar",
        Map.of("com.example.Library", "package com.example; public class Library {}"),
        Optional.empty());
    dropExample("f-example-checksum.jar");

    ActivityCatalog catalog = ActivityCatalog.discover(Optional.of(plugins), engineLoader);

    assertThat(catalog.find("checksum")).isPresent();
    assertThat(catalog.types()).doesNotContain("throwing", "unshaded");
    assertThat(catalog.problems())
        .extracting(Problem::source)
        .containsExactly(
            "a-not-a-zip.jar",
            "b-missing-class.jar",
            "c-throwing.jar",
            "d-unshaded.jar",
            "e-library.jar");
    assertThat(catalog.problems().get(0).message()).startsWith("cannot be read as a jar file");
    assertThat(catalog.problems().get(1).message())
        .contains("com.example.MissingActivity not found");
    assertThat(catalog.problems().get(2).message())
        .contains("com.example.ThrowingActivity could not be instantiated")
        .contains("IllegalStateException: no licence key found");
    assertThat(catalog.problems().get(3).message())
        .contains("com/fasterxml/jackson/databind/ObjectMapper")
        .contains("shade its dependencies in");
    assertThat(catalog.problems().get(4).message())
        .contains("holds no META-INF/services/dev.durablesql.activity.Activity");
    assertThat(catalog.summary())
        .contains("checksum (plugin f-example-checksum.jar)")
        .contains("5 problems");
  }

  @Test
  void aDuplicateTypeIsAProblemNamingBothSourcesAndTheFirstWins() throws Exception {
    dropExample("a-checksum.jar");
    dropExample("b-checksum.jar");
    compiledJar(
        "c-sql.jar",
        Map.of("com.example.SqlActivity", activitySource("SqlActivity", "\"sql\"", "")),
        Optional.of(List.of("com.example.SqlActivity")));

    ActivityCatalog catalog = ActivityCatalog.discover(Optional.of(plugins), engineLoader);

    assertThat(catalog.entries())
        .filteredOn(entry -> entry.type().equals("checksum"))
        .extracting(Entry::source)
        .containsExactly("a-checksum.jar");
    assertThat(catalog.problems())
        .containsExactly(
            new Problem(
                "b-checksum.jar",
                "type 'checksum' of "
                    + EXAMPLE_CLASS
                    + " from b-checksum.jar is already taken by "
                    + EXAMPLE_CLASS
                    + " from a-checksum.jar; the first one found wins, so this one is skipped"),
            new Problem(
                "c-sql.jar",
                "type 'sql' of com.example.SqlActivity from c-sql.jar is already taken by "
                    + SqlStep.class.getName()
                    + " from built-in (engine); the first one found wins, so this one is"
                    + " skipped"));
  }

  @Test
  void aBuiltInWinsOverAPluginOfTheSameType() throws Exception {
    Path builtIns = Files.createDirectory(work.resolve("built-ins"));
    Path builtInJar =
        compiledJar(
            builtIns,
            "built-in-checksum.jar",
            Map.of(
                "com.example.BuiltInChecksum",
                activitySource("BuiltInChecksum", "\"checksum\"", "")),
            Optional.of(List.of("com.example.BuiltInChecksum")));
    dropExample("example-checksum.jar");

    ActivityCatalog catalog;
    try (URLClassLoader withBuiltIn =
        new URLClassLoader(new URL[] {builtInJar.toUri().toURL()}, engineLoader)) {
      catalog = ActivityCatalog.discover(Optional.of(plugins), withBuiltIn);
    }

    assertThat(catalog.find("checksum").orElseThrow().getClass().getName())
        .isEqualTo("com.example.BuiltInChecksum");
    assertThat(catalog.entries())
        .contains(new Entry("checksum", "built-in", "1.2.3", "com.example.BuiltInChecksum"));
    assertThat(catalog.problems())
        .singleElement()
        .satisfies(problem -> {
          assertThat(problem.source()).isEqualTo("example-checksum.jar");
          assertThat(problem.message())
              .contains("already taken by com.example.BuiltInChecksum from built-in");
        });
  }

  @Test
  void anInvalidTypeNameIsAProblem() throws Exception {
    compiledJar(
        "invalid.jar",
        Map.of(
            "com.example.SpacedActivity", activitySource("SpacedActivity", "\"Bad Type\"", ""),
            "com.example.DashActivity", activitySource("DashActivity", "\"-lead\"", ""),
            "com.example.NullActivity", activitySource("NullActivity", "null", ""),
            "com.example.GoodActivity", activitySource("GoodActivity", "\"good.type_2-x\"", "")),
        Optional.of(
            List.of(
                "com.example.SpacedActivity",
                "com.example.DashActivity",
                "com.example.NullActivity",
                "com.example.GoodActivity")));

    ActivityCatalog catalog = ActivityCatalog.discover(Optional.of(plugins), engineLoader);

    assertThat(catalog.types()).contains("good.type_2-x");
    assertThat(catalog.entries())
        .contains(new Entry("good.type_2-x", "invalid.jar", "1.2.3", "com.example.GoodActivity"));
    assertThat(catalog.problems())
        .extracting(Problem::message)
        .containsExactly(
            "activity com.example.SpacedActivity has the invalid type name 'Bad Type' (use"
                + " lower-case letters, digits, '.', '_' and '-', starting with a letter or"
                + " digit); skipped",
            "activity com.example.DashActivity has the invalid type name '-lead' (use"
                + " lower-case letters, digits, '.', '_' and '-', starting with a letter or"
                + " digit); skipped",
            "activity com.example.NullActivity has the invalid type name null (use"
                + " lower-case letters, digits, '.', '_' and '-', starting with a letter or"
                + " digit); skipped");
  }

  @Test
  void aMissingPluginsFolderMeansBuiltInsOnly() {
    Path missing = work.resolve("no-such-folder");

    ActivityCatalog catalog = ActivityCatalog.discover(Optional.of(missing), engineLoader);

    assertThat(catalog.problems()).isEmpty();
    assertThat(catalog.entries()).allMatch(entry -> entry.source().startsWith("built-in"));
    assertThat(catalog.summary())
        .startsWith("activities: sql")
        .endsWith("; no plugins folder at " + missing.toAbsolutePath());
  }

  @Test
  void aPluginsFolderThatIsAFileIsAProblem() throws IOException {
    Path file = Files.writeString(work.resolve("plugins.txt"), "not a folder");

    ActivityCatalog catalog = ActivityCatalog.discover(Optional.of(file), engineLoader);

    assertThat(catalog.problems())
        .containsExactly(
            new Problem(
                file.toAbsolutePath().toString(),
                "the plugins folder is not a directory; no plugin is loaded"));
  }

  private void dropExample(String fileName) throws IOException {
    Files.copy(
        PluginJars.exampleJar(), plugins.resolve(fileName), StandardCopyOption.REPLACE_EXISTING);
  }

  private Path compiledJar(
      String fileName, Map<String, String> sources, Optional<List<String>> serviceLines)
      throws IOException {
    return compiledJar(plugins, fileName, sources, serviceLines);
  }

  private Path compiledJar(
      Path folder, String fileName, Map<String, String> sources, Optional<List<String>> lines)
      throws IOException {
    return PluginJars.compiledJar(work, folder, fileName, sources, lines, "1.2.3");
  }

  /** An activity in package com.example returning {@code typeExpression} from type(). */
  private static String activitySource(String name, String typeExpression, String constructor) {
    return """
    package com.example;

    import dev.durablesql.activity.Activity;
    import dev.durablesql.activity.ActivityContext;
    import java.util.Map;

    public class %1$s implements Activity {
      public %1$s() {
        %3$s
      }

      @Override
      public String type() {
        return %2$s;
      }

      @Override
      public Map<String, Object> execute(ActivityContext context) {
        return Map.of();
      }
    }
    """
        .formatted(name, typeExpression, constructor);
  }

  /** The least a step gives an activity: its config. */
  private record StepContext(Map<String, Object> config) implements ActivityContext {
    @Override
    public String instanceId() {
      return "0000abcd";
    }

    @Override
    public String nodeId() {
      return "0000ef01";
    }

    @Override
    public int attempt() {
      return 1;
    }

    @Override
    public String submittedBy() {
      return "app";
    }

    @Override
    public String idempotencyKey() {
      return "0000abcd-0000ef01-1";
    }

    @Override
    public Instant deadline() {
      return Instant.now().plusSeconds(60);
    }
  }
}
