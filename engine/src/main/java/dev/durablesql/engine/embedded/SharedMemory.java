package dev.durablesql.engine.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads System V shared memory segments from Linux's /proc/sysvipc/shm. */
final class SharedMemory {
  private static final Path SEGMENTS = Path.of("/proc/sysvipc/shm");

  // Columns: key shmid perms size cpid lpid nattch ...
  private static final int ID_COLUMN = 1;
  private static final int ATTACHED_COLUMN = 6;

  private SharedMemory() {}

  /** How many processes have segment {@code id} attached; 0 if it does not exist or id is -1. */
  static int attachedProcesses(long id) {
    if (id < 0) {
      return 0;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(SEGMENTS, UTF_8);
    } catch (IOException e) {
      return 0; // not Linux, or hidden: PostgreSQL's own check is all that is left
    }
    String wanted = Long.toString(id);
    for (String line : lines) {
      String[] columns = line.strip().split("\\s+", -1);
      if (columns.length > ATTACHED_COLUMN && columns[ID_COLUMN].equals(wanted)) {
        try {
          return Integer.parseInt(columns[ATTACHED_COLUMN]);
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 0;
  }
}
