package dev.durablesql.engine.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryTest {
  @TempDir Path temporary;

  @Test
  void missingDirectoryGetsANewCluster() {
    DataDirectory found = DataDirectory.inspect(temporary.resolve("a/b"), scratch());

    assertThat(found.holdsCluster()).isFalse();
    assertThat(temporary.resolve("a")).doesNotExist();
  }

  @Test
  void emptyDirectoryGetsANewCluster() throws IOException {
    Path directory = Files.createDirectory(temporary.resolve("pg"));

    assertThat(DataDirectory.inspect(directory, scratch()).holdsCluster()).isFalse();
  }

  @Test
  void postgres17ClusterIsReused() throws IOException {
    Path directory = Files.createDirectory(temporary.resolve("pg"));
    Files.writeString(directory.resolve("PG_VERSION"), "17\n");
    Files.writeString(directory.resolve("postgresql.conf"), "");

    assertThat(DataDirectory.inspect(directory, scratch()).holdsCluster()).isTrue();
  }

  @Test
  void clusterWithoutPostgresqlConfIsRefused() throws IOException {
    Path directory = Files.createDirectory(temporary.resolve("pg"));
    Files.writeString(directory.resolve("PG_VERSION"), "17\n");

    assertThatThrownBy(() -> DataDirectory.inspect(directory, scratch()))
        .isInstanceOf(EmbeddedClusterException.class)
        .hasMessageContaining("without postgresql.conf");
  }

  @Test
  void fileInsteadOfDirectoryIsRefused() throws IOException {
    Path file = Files.writeString(temporary.resolve("pg"), "");

    assertThatThrownBy(() -> DataDirectory.inspect(file, scratch()))
        .isInstanceOf(EmbeddedClusterException.class)
        .hasMessage(file + " is a file, not a directory; pass an empty or new --data-dir");
  }

  @Test
  void directoryInZonkysScratchDirectoryIsRefused() {
    Path directory = scratch().resolve("pg");

    assertThatThrownBy(() -> DataDirectory.inspect(directory, scratch()))
        .isInstanceOf(EmbeddedClusterException.class)
        .hasMessageContaining("where zonky deletes unused directories");
  }

  private Path scratch() {
    return temporary.resolve("embedded-pg");
  }
}
