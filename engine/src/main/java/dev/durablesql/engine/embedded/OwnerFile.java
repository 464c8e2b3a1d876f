package dev.durablesql.engine.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * {@code durable.pid} in the data directory: the process id and start time of the JVM that runs the
 * server there. It tells a later start whether a server it finds running still has its owner, or
 * was left behind by a JVM killed with -9. (zonky's {@code epg-lock} cannot tell: probing a POSIX
 * file lock from the JVM that holds it releases that lock.)
 */
record OwnerFile(Path path) {
  static final String NAME = "durable.pid";

  OwnerFile {
    requireNonNull(path, "path is null");
  }

  static OwnerFile in(Path dataDirectory) {
    return new OwnerFile(dataDirectory.resolve(NAME));
  }

  /** Records this JVM as the owner, replacing whatever the file said. */
  void claim() {
    ProcessHandle current = ProcessHandle.current();
    long started = current.info().startInstant().map(Instant::toEpochMilli).orElse(-1L);
    Path temporary = path.resolveSibling(NAME + ".new");
    try {
      Files.writeString(temporary, current.pid() + "\n" + started + "\n", UTF_8);
      Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new EmbeddedClusterException(
          "Could not write " + path + " (" + e + "); check the data directory's permissions", e);
    }
  }

  /** Removes the file if it names this JVM; never throws. */
  void release() {
    try {
      if (read().filter(owner -> owner.pid() == ProcessHandle.current().pid()).isPresent()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      // A stale file does no harm: the next start sees that its process is gone.
    }
  }

  /** The process id of the owner if it still runs (this JVM included). */
  Optional<Long> liveOwner() {
    Optional<Owner> owner;
    try {
      owner = read();
    } catch (IOException e) {
      throw new EmbeddedClusterException(
          "Could not read " + path + " (" + e + "); check its permissions", e);
    }
    return owner.flatMap(found ->
        ProcessStatus.running(found.pid())
            // The same id with another start time is another process: the owner is gone.
            .filter(process -> ProcessStatus.startedAt(process, found.started()))
            .map(ProcessHandle::pid));
  }

  private Optional<Owner> read() throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(path, UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    if (lines.size() < 2) {
      return Optional.empty();
    }
    try {
      long pid = Long.parseLong(lines.get(0).strip());
      long started = Long.parseLong(lines.get(1).strip());
      return Optional.of(
          new Owner(
              pid, started < 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(started))));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private record Owner(long pid, Optional<Instant> started) {}
}
