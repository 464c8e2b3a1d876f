package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** Clients can wait for an instance's end with LISTEN df_done instead of polling. */
class CompletionNotificationTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  @Test
  void theEndOfEveryInstanceIsNotifiedOnDfDoneWithItsStatus() throws Exception {
    Workflows workflows = new Workflows(postgres);
    try (Connection client = postgres.connectAs(ALICE);
        Statement statement = client.createStatement()) {
      statement.execute("LISTEN df_done");
      String completed = workflows.start(ALICE, "'SELECT 1'");
      String failed = workflows.start(ALICE, "'SELECT 1/0'");

      List<String> received = new ArrayList<>();
      try (Engine engine = Engine.start(postgres.engineConfig("notifying-engine"))) {
        PGConnection listener = client.unwrap(PGConnection.class);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (received.size() < 2 && System.nanoTime() < deadline) {
          PGNotification[] notifications = listener.getNotifications(500);
          if (notifications != null) {
            for (PGNotification notification : notifications) {
              received.add(notification.getParameter());
            }
          }
        }
      }

      assertThat(received).containsExactlyInAnyOrder(completed + ":completed", failed + ":failed");
    }
  }
}
