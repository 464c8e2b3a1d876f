package dev.durablesql.engine.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A data directory as found before the server starts: either nothing yet (missing or empty), so
 * initdb creates a cluster there, or a PostgreSQL 17 cluster, which is reused as it is.
 */
record DataDirectory(Path path, boolean holdsCluster) {
  static final String SUPPORTED_VERSION = "17";

  DataDirectory {
    requireNonNull(path, "path is null");
  }

  /**
   * Looks at {@code path} without changing it.
   *
   * @param scratchDirectory zonky's working directory, whose stale subdirectories zonky deletes
   * @throws EmbeddedClusterException if the directory holds anything but a PostgreSQL 17 cluster
   */
  static DataDirectory inspect(Path path, Path scratchDirectory) {
    Path directory = path.toAbsolutePath().normalize();
    Path parent = directory.getParent();
    if (parent != null && isSameFile(parent, scratchDirectory.toAbsolutePath().normalize())) {
      throw new EmbeddedClusterException(
          directory
              + " lies directly in "
              + scratchDirectory
              + ", where zonky deletes unused directories; pass a --data-dir somewhere else");
    }
    if (!Files.exists(directory)) {
      return new DataDirectory(directory, false);
    }
    if (!Files.isDirectory(directory)) {
      throw new EmbeddedClusterException(
          directory + " is a file, not a directory; pass an empty or new --data-dir");
    }
    Path versionFile = directory.resolve("PG_VERSION");
    if (Files.isRegularFile(versionFile)) {
      return new DataDirectory(directory, requireSupportedCluster(directory, versionFile));
    }
    if (!isEmpty(directory)) {
      throw new EmbeddedClusterException(
          directory
              + " is not a PostgreSQL data directory (no PG_VERSION); pass an empty or new"
              + " --data-dir");
    }
    return new DataDirectory(directory, false);
  }

  private static boolean requireSupportedCluster(Path directory, Path versionFile) {
    String version = read(versionFile).strip();
    if (!version.equals(SUPPORTED_VERSION)) {
      throw new EmbeddedClusterException(
          directory
              + " holds a PostgreSQL "
              + version
              + " cluster, but durable runs PostgreSQL "
              + SUPPORTED_VERSION
              + "; upgrade it with pg_upgrade, or pass an empty or new --data-dir");
    }
    if (!Files.isRegularFile(directory.resolve("postgresql.conf"))) {
      // zonky would run initdb on it, which fails on a non-empty directory.
      throw new EmbeddedClusterException(
          directory
              + " holds a PostgreSQL 17 cluster without postgresql.conf (its configuration lives"
              + " elsewhere); pass a self-contained, empty or new --data-dir");
    }
    return true;
  }

  private static boolean isEmpty(Path directory) {
    try (Stream<Path> entries = Files.list(directory)) {
      return entries.findAny().isEmpty();
    } catch (IOException e) {
      throw new EmbeddedClusterException(
          "Could not list data directory " + directory + " (" + e + "); check its permissions", e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, UTF_8);
    } catch (IOException e) {
      throw new EmbeddedClusterException(
          "Could not read " + file + " (" + e + "); check its permissions", e);
    }
  }

  private static boolean isSameFile(Path first, Path second) {
    if (first.equals(second)) {
      return true;
    }
    try {
      return Files.exists(first) && Files.exists(second) && Files.isSameFile(first, second);
    } catch (IOException e) {
      return false; // unreadable paths cannot be told apart; the plain comparison stands
    }
  }
}
