package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * df.start(…, transaction_mode => 'new') in a database without the dblink extension (R-START-3).
 */
class StartModeWithoutDblinkTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  @Test
  void newModeNamesTheMissingExtension() throws SQLException {
    long instancesBefore = countInstances();
    try (Connection alice = postgres.connectAs(PostgresExtension.ALICE)) {

      assertThatThrownBy(
              () -> Queries.text(alice, "SELECT df.start('SELECT 1', NULL, NULL, 'new')"))
          .hasMessageContaining(
              "transaction_mode => 'new' needs the dblink extension: CREATE EXTENSION dblink");
    }
    assertThat(countInstances()).isEqualTo(instancesBefore);
  }

  @Test
  void callerModeNeedsNoDblink() throws SQLException {
    try (Connection alice = postgres.connectAs(PostgresExtension.ALICE)) {

      String id = Queries.text(alice, "SELECT df.start('SELECT 1')");

      assertThat(id).matches("^[0-9a-f]{8}$");
    }
  }

  private static long countInstances() throws SQLException {
    return Queries.number(postgres.dataSource(), "SELECT count(*) FROM df.instances");
  }
}
