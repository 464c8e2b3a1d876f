package dev.durablesql.engine.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.activity.Activity;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Plugin jars for tests: the example plugin as the build made it, and small jars compiled here from
 * Java source, so that a test can drop good and broken plugins into a folder.
 */
public final class PluginJars {
  private static final String EXAMPLE_MODULE = "plugins/example-checksum";
  private static final String EXAMPLE_PREFIX = "durable-sql-example-checksum-";
  private static final String SERVICE_FILE = "META-INF/services/" + Activity.class.getName();

  private PluginJars() {}

  /**
   * The jar of {@code plugins/example-checksum} that the build made, in that module's build folder
   * of the same name as this module's ({@code target}, or what {@code -Ddurable.build.dir} says).
   * The reactor builds it before the engine in {@code mvn verify}; a bare {@code mvn test} does not
   * package it.
   *
   * @throws IllegalStateException saying how to build it when it is not there
   */
  public static Path exampleJar() {
    Path buildDirectory = ownBuildDirectory();
    Path root = buildDirectory.getParent().getParent();
    Path exampleBuild = root.resolve(EXAMPLE_MODULE).resolve(buildDirectory.getFileName());
    List<Path> jars = new ArrayList<>();
    if (Files.isDirectory(exampleBuild)) {
      try (Stream<Path> files = Files.list(exampleBuild)) {
        files
            .filter(file -> isExampleJar(file.getFileName().toString()))
            .sorted()
            .forEach(jars::add);
      } catch (IOException e) {
        throw new IllegalStateException("cannot list " + exampleBuild, e);
      }
    }
    if (jars.isEmpty()) {
      throw new IllegalStateException(
          "the example plugin is not built: no "
              + EXAMPLE_PREFIX
              + "*.jar in "
              + exampleBuild
              + ". Build it first with: mvn -o -pl "
              + EXAMPLE_MODULE
              + " -am package -DskipTests -Ddurable.build.dir="
              + buildDirectory.getFileName()
              + " (mvn -B verify from the repository root builds it before the engine)");
    }
    return jars.getLast();
  }

  /** The example jar's version as its file name gives it, such as {@code 0.1.0-SNAPSHOT}. */
  public static String exampleVersion() {
    String name = exampleJar().getFileName().toString();
    return name.substring(EXAMPLE_PREFIX.length(), name.length() - ".jar".length());
  }

  /** A file named {@code fileName} in {@code folder} that ends in .jar but is not a zip. */
  public static Path notAJar(Path folder, String fileName) throws IOException {
    return Files.writeString(folder.resolve(fileName), "this is not a zip file\n", UTF_8);
  }

  /**
   * Compiles {@code sources} (class name to Java source) against the SPI and Jackson (a library of
   * the engine that plugins do not see unless they shade it in) and packs the classes into {@code
   * folder/fileName}, with a service file listing {@code serviceLines} when that is present and
   * {@code Implementation-Version: version} in the manifest.
   *
   * @param work a folder for sources and classes, outside {@code folder}
   */
  public static Path compiledJar(
      Path work,
      Path folder,
      String fileName,
      Map<String, String> sources,
      Optional<List<String>> serviceLines,
      String version)
      throws IOException {
    Path build = Files.createTempDirectory(work, "plugin-");
    Path sourceRoot = Files.createDirectories(build.resolve("src"));
    Path classes = Files.createDirectories(build.resolve("classes"));
    List<String> arguments = new ArrayList<>();
    arguments.addAll(
        List.of(
            "--release",
            "21",
            "-proc:none",
            "-nowarn",
            "-classpath",
            codeLocation(Activity.class) + File.pathSeparator + codeLocation(ObjectMapper.class),
            "-d",
            classes.toString()));
    for (Map.Entry<String, String> source : sources.entrySet()) {
      Path file = sourceRoot.resolve(source.getKey().replace('.', '/') + ".java");
      Files.createDirectories(file.getParent());
      Files.writeString(file, source.getValue(), UTF_8);
      arguments.add(file.toString());
    }
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream messages = new ByteArrayOutputStream();
    if (!sources.isEmpty()
        && compiler.run(null, messages, messages, arguments.toArray(String[]::new)) != 0) {
      throw new IllegalStateException(
          "test plugin sources do not compile: " + messages.toString(UTF_8));
    }
    return pack(classes, folder.resolve(fileName), serviceLines, version);
  }

  private static Path pack(
      Path classes, Path jar, Optional<List<String>> serviceLines, String version)
      throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(classes)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest)) {
      for (Path classFile : files) {
        out.putNextEntry(new JarEntry(classes.relativize(classFile).toString().replace('\\', '/')));
        out.write(Files.readAllBytes(classFile));
        out.closeEntry();
      }
      if (serviceLines.isPresent()) {
        out.putNextEntry(new JarEntry(SERVICE_FILE));
        out.write((String.join("\n", serviceLines.get()) + "\n").getBytes(UTF_8));
        out.closeEntry();
      }
    }
    return jar;
  }

  private static boolean isExampleJar(String name) {
    return name.startsWith(EXAMPLE_PREFIX)
        && name.endsWith(".jar")
        && !name.endsWith("-sources.jar")
        && !name.endsWith("-tests.jar")
        && !name.endsWith("-javadoc.jar");
  }

  /** This module's build folder: the parent of the folder the test classes were loaded from. */
  private static Path ownBuildDirectory() {
    return codeLocation(PluginJars.class).getParent();
  }

  private static Path codeLocation(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("no file location for " + type, e);
    }
  }
}
