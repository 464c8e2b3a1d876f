package dev.durablesql.engine.run;

import static dev.durablesql.engine.testing.Durofut.join;
import static dev.durablesql.engine.testing.Durofut.sql;
import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An error of the engine's own outside a step (not the database's) that comes back at every try
 * fails the instance after a few tries, instead of leaving it running and retried forever.
 */
class EngineErrorsTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private final Workflows workflows = new Workflows(postgres);

  @Test
  void anInstanceWhoseGraphTheEngineCannotWalkFailsAfterAFewTries() throws Exception {
    String id =
        workflows.start(ALICE, literal(join(sql("SELECT 1"), sql("SELECT 2"), sql("SELECT 3"))));
    // Damaged by hand before any engine ran it: the JOIN names a third branch that is not there.
    workflows.executeAsSuperuser(
        "UPDATE df.nodes SET query = '{\"extra_nodes\":[\"0badf00d\"]}'"
            + " WHERE node_type = 'JOIN' AND instance_id = "
            + literal(id));

    try (Engine engine = Engine.start(postgres.engineConfig("erring-engine"))) {
      assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
      workflows.awaitClosed(id);
    }

    assertThat(
            workflows.queryAsSuperuser(
                "SELECT n.result #>> '{}' FROM df.nodes n JOIN df.instances i"
                    + " ON i.id = n.instance_id AND n.id = i.root_node WHERE i.id = ?",
                id))
        .startsWith("engine error: ")
        .contains("has no node 0badf00d");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df_engine.events"
                    + " WHERE instance_id = ? AND kind = 'engine_error'",
                id))
        .isEqualTo("1");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*)::text FROM df.nodes WHERE instance_id = ? AND status = 'running'",
                id))
        .isEqualTo("0");
  }
}
