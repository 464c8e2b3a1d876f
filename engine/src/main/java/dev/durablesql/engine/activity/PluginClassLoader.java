package dev.durablesql.engine.activity;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Enumeration;

/**
 * The class loader of one plugin jar. Its parent is the platform class loader, so a plugin sees the
 * JDK and its own jar but neither the engine's internals nor the engine's dependencies (which it
 * must shade in instead); only the SPI package {@code dev.durablesql.activity} comes from the
 * engine, so that engine and plugin share one {@code Activity} type.
 */
final class PluginClassLoader extends URLClassLoader {
  private static final String SPI_PACKAGE = "dev.durablesql.activity.";
  private static final String SPI_RESOURCES = SPI_PACKAGE.replace('.', '/');

  static {
    registerAsParallelCapable();
  }

  private final ClassLoader engineLoader;

  PluginClassLoader(Path jar, ClassLoader engineLoader) throws MalformedURLException {
    super(
        jar.getFileName().toString(),
        new URL[] {jar.toUri().toURL()},
        ClassLoader.getPlatformClassLoader());
    this.engineLoader = requireNonNull(engineLoader, "engineLoader is null");
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    // Exactly the SPI package, not its sub-packages: one Activity type for engine and plugin.
    if (isInSpiPackage(name, SPI_PACKAGE, '.')) {
      return engineLoader.loadClass(name);
    }
    return super.loadClass(name, resolve);
  }

  @Override
  public URL getResource(String name) {
    return isInSpiPackage(name, SPI_RESOURCES, '/')
        ? engineLoader.getResource(name)
        : super.getResource(name);
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    return isInSpiPackage(name, SPI_RESOURCES, '/')
        ? engineLoader.getResources(name)
        : super.getResources(name);
  }

  private static boolean isInSpiPackage(String name, String prefix, char separator) {
    return name.startsWith(prefix) && name.indexOf(separator, prefix.length()) < 0;
  }
}
