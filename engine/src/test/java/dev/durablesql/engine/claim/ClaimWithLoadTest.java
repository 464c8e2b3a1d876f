package dev.durablesql.engine.claim;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.store.InstanceStore;
import dev.durablesql.engine.store.LoadedInstance;
import dev.durablesql.engine.store.NodeMarks;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A claim reads the graphs of the instances it takes in its own round trip (the claimed ids reach
 * the reads through a setting of the claim's transaction), and the runner finds them there.
 */
class ClaimWithLoadTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  @Test
  void theClaimReadsWhatItTookAndTheRunnerUsesThatReadOnce() throws Exception {
    Workflows workflows = new Workflows(postgres);
    String first = workflows.start(ALICE, "df.seq(" + literal("SELECT 1") + ", 'SELECT 2')");
    String second = workflows.start(ALICE, literal("SELECT 3"));
    try (NodeMarks marks = new NodeMarks(postgres.dataSource())) {
      InstanceStore store = new InstanceStore(postgres.dataSource(), "engine-a", marks);
      List<ClaimedInstance> claimed =
          new InstanceClaimer(postgres.dataSource(), "engine-a", Duration.ofMinutes(5))
              .claim(10, store.loadWithClaim());
      assertThat(claimed).extracting(ClaimedInstance::id).contains(first, second);

      // Changed after the claim: the claim's read does not see it, a read made now does.
      workflows.executeAsSuperuser("UPDATE df.instances SET label = 'later'");
      ClaimedInstance claim =
          claimed.stream().filter(c -> c.id().equals(first)).findFirst().orElseThrow();
      LoadedInstance withClaim = store.load(claim).orElseThrow();
      assertThat(withClaim.label()).isEmpty();
      assertThat(withClaim.nodes()).hasSize(3); // THEN and its two steps
      assertThat(withClaim.node(withClaim.rootNodeId()).type()).isEqualTo("THEN");
      assertThat(store.load(claim).orElseThrow().label()).contains("later");
    }
  }

  @Test
  void aClaimThatTakesNothingReadsNothing() throws Exception {
    try (NodeMarks marks = new NodeMarks(postgres.dataSource())) {
      InstanceStore store = new InstanceStore(postgres.dataSource(), "engine-b", marks);
      InstanceClaimer claimer =
          new InstanceClaimer(postgres.dataSource(), "engine-b", Duration.ofMinutes(5));
      claimer.claim(100, store.loadWithClaim()); // whatever other tests left due
      assertThat(claimer.claim(10, store.loadWithClaim())).isEmpty();
    }
  }
}
