package dev.durablesql.engine.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The file beside the data directory ({@code <data-dir>.log}) that collects the output of initdb,
 * pg_ctl and the server. It sits beside rather than inside the directory because initdb only
 * accepts an empty one. Each run appends to it.
 */
record ServerLog(Path path) {
  private static final int MAX_TAIL_BYTES = 64 * 1024;

  ServerLog {
    requireNonNull(path, "path is null");
  }

  static ServerLog beside(Path dataDirectory) {
    Path directory = dataDirectory.toAbsolutePath().normalize();
    Path parent = directory.getParent();
    if (parent == null) {
      throw new EmbeddedClusterException(
          directory + " has no parent directory for the server log; pass another --data-dir");
    }
    return new ServerLog(parent.resolve(directory.getFileName() + ".log"));
  }

  /** Current length in bytes, so that a later {@link #linesSince} shows only what came after. */
  long size() {
    try {
      return Files.exists(path) ? Files.size(path) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** The last {@code maxLines} lines written after {@code offset}; empty if there are none. */
  List<String> linesSince(long offset, int maxLines) {
    return linesBetween(offset, Long.MAX_VALUE, maxLines);
  }

  /** The last {@code maxLines} lines written between byte offsets {@code start} and {@code end}. */
  List<String> linesBetween(long start, long end, int maxLines) {
    try (SeekableByteChannel channel = Files.newByteChannel(path)) {
      long to = Math.min(end, channel.size());
      long from = Math.max(start, to - MAX_TAIL_BYTES);
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.max(0, to - from));
      channel.position(from);
      int read;
      do {
        read = channel.read(buffer);
      } while (read > 0 && buffer.hasRemaining());
      List<String> lines = new String(buffer.array(), 0, buffer.position(), UTF_8).lines().toList();
      return lines.subList(Math.max(0, lines.size() - maxLines), lines.size());
    } catch (IOException e) {
      return List
          .of(); // the log is a hint in an error message; its absence must not hide the error
    }
  }
}
