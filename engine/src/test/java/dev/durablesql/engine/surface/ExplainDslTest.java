package dev.durablesql.engine.surface;

import static dev.durablesql.engine.surface.ExplainTexts.expected;
import static dev.durablesql.engine.surface.ExplainTexts.explain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** df.explain of DSL expressions written with the df operators and constructors (R-EXPL-1c). */
class ExplainDslTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private Connection alice;

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
    Queries.execute(alice, "SET search_path = \"$user\", public, df");
  }

  @AfterEach
  void disconnect() throws SQLException {
    alice.close();
  }

  @Test
  void specExampleWrittenWithOperatorsIsDrawnAsTheReferenceDrawsIt() throws SQLException {
    String drawing =
        explain(alice, "'SELECT 1' |=> 'a' ~> df.if('SELECT $a > 0','SELECT 1','SELECT 2')");

    assertThat(drawing).isEqualTo(expected("spec-example"));
  }

  @Test
  void theExpressionAndItsDurofutAreDrawnAlike() throws SQLException {
    String expression = "'SELECT 1' |=> 'a' ~> df.if('SELECT $a > 0','SELECT 1','SELECT 2')";
    String durofut = Queries.text(alice, "SELECT " + expression);

    String fromExpression = explain(alice, expression);
    String fromDurofut = explain(alice, durofut);

    assertThat(fromExpression).isEqualTo(fromDurofut);
  }

  @Test
  void everyOperatorAndExtensionConstructorIsDrawn() throws SQLException {
    String expression =
        """
        ('SELECT true' ?> 'SELECT 1' !> 'SELECT 2')
          ~> (@> ('SELECT 3' ~> df.break('done')))
          ~> ('SELECT 4' & 'SELECT 5' |=> 'both')
          ~> ('SELECT 6' | df.sleep(5))
          ~> (df.map('SELECT id FROM items', 'SELECT $item.id', 4) |=> 'mapped')
          ~> df.activity('echo', '{"text":"hi"}')
          ~> df.wait_for_schedule('0 9 * * 1-5', 'Europe/Paris')
          ~> df.wait_for_signal('approve', 60)
        """;

    String drawing = explain(alice, expression);

    assertThat(drawing).isEqualTo(expected("dsl-operators"));
  }
}
