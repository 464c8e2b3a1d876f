package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** df.setvar, df.getvar, df.unsetvar and df.clearvars (SPEC.md §8.1, R-DSL-6, R-SEC-8). */
class VarsTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private Connection alice;
  private Connection bob;

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
    bob = postgres.connectAs(PostgresExtension.BOB);
  }

  @AfterEach
  void clearAndDisconnect() throws SQLException {
    Queries.execute(postgres.dataSource(), "DELETE FROM df.vars");
    alice.close();
    bob.close();
  }

  @Test
  void setvarStoresAValueThatGetvarReturns() throws SQLException {
    String answer = Queries.text(alice, "SELECT df.setvar('region', 'eu-west')");

    assertThat(answer).isEqualTo("OK");
    assertThat(Queries.text(alice, "SELECT df.getvar('region')")).isEqualTo("eu-west");
    assertThat(Queries.rows(postgres.dataSource(), "SELECT owner::text, name, value FROM df.vars"))
        .containsExactly(List.of("alice", "region", "eu-west"));
  }

  @Test
  void setvarReplacesTheCallersValue() throws SQLException {
    Queries.text(alice, "SELECT df.setvar('region', 'eu-west')");

    Queries.text(alice, "SELECT df.setvar('region', 'us-east')");

    assertThat(Queries.text(alice, "SELECT df.getvar('region')")).isEqualTo("us-east");
    assertThat(Queries.number(alice, "SELECT count(*) FROM df.vars")).isEqualTo(1);
  }

  @Test
  void getvarOfAnUnknownNameIsNull() throws SQLException {
    String value = Queries.text(alice, "SELECT df.getvar('nothing_here')");

    assertThat(value).isNull();
  }

  @Test
  void unsetvarDeletesOnlyThatName() throws SQLException {
    Queries.text(alice, "SELECT df.setvar('a', '1'), df.setvar('b', '2')");

    String answer = Queries.text(alice, "SELECT df.unsetvar('a')");

    assertThat(answer).isEqualTo("OK");
    assertThat(Queries.column(alice, "SELECT name FROM df.vars ORDER BY name"))
        .containsExactly("b");
  }

  @Test
  void unsetvarOfAnUnknownNameIsOk() throws SQLException {
    String answer = Queries.text(alice, "SELECT df.unsetvar('never_set')");

    assertThat(answer).isEqualTo("OK");
  }

  @Test
  void clearvarsDeletesAllTheCallersVariables() throws SQLException {
    Queries.text(alice, "SELECT df.setvar('a', '1'), df.setvar('b', '2')");
    Queries.text(bob, "SELECT df.setvar('a', 'bobs')");

    String answer = Queries.text(alice, "SELECT df.clearvars()");

    assertThat(answer).isEqualTo("OK");
    assertThat(Queries.rows(postgres.dataSource(), "SELECT owner::text, name, value FROM df.vars"))
        .containsExactly(List.of("bob", "a", "bobs"));
  }

  @Test
  void everyFunctionIsStrict() throws SQLException {
    List<String> answers =
        Queries.rows(
                alice,
                "SELECT df.setvar(NULL, 'v'), df.setvar('n', NULL), df.getvar(NULL),"
                    + " df.unsetvar(NULL)")
            .get(0);

    assertThat(answers).containsExactly(null, null, null, null);
    assertThat(Queries.number(alice, "SELECT count(*) FROM df.vars")).isZero();
  }

  @Test
  void rolesNeitherSeeNorChangeEachOthersVariables() throws SQLException {
    Queries.text(alice, "SELECT df.setvar('token', 'alices-secret')");

    String seenByBob = Queries.text(bob, "SELECT df.getvar('token')");
    Queries.text(bob, "SELECT df.setvar('token', 'bobs')");
    Queries.text(bob, "SELECT df.unsetvar('token')");
    Queries.text(bob, "SELECT df.clearvars()");

    assertThat(seenByBob).isNull();
    assertThat(Queries.text(alice, "SELECT df.getvar('token')")).isEqualTo("alices-secret");
    assertThat(Queries.number(bob, "SELECT count(*) FROM df.vars")).isZero();
  }

  @Test
  void aSuperuserTouchesOnlyItsOwnVariablesDespiteBypassingRowSecurity() throws SQLException {
    Queries.text(alice, "SELECT df.setvar('shared_name', 'alices')");

    try (Connection superuser = postgres.dataSource().getConnection()) {
      String seen = Queries.text(superuser, "SELECT df.getvar('shared_name')");
      Queries.text(superuser, "SELECT df.setvar('shared_name', 'admins')");
      Queries.text(superuser, "SELECT df.unsetvar('shared_name')");
      Queries.text(superuser, "SELECT df.clearvars()");

      assertThat(seen).isNull();
    }
    assertThat(Queries.rows(postgres.dataSource(), "SELECT owner::text, value FROM df.vars"))
        .containsExactly(List.of("alice", "alices"));
  }

  @Test
  void mutatorsRefuseToRunInsideAWorkflow() throws SQLException {
    Queries.text(alice, "SELECT df.setvar('kept', 'yes')");
    Queries.execute(alice, "SET df.in_workflow = 'true'");

    for (String call :
        List.of("df.setvar('kept', 'no')", "df.unsetvar('kept')", "df.clearvars()")) {
      assertThatThrownBy(() -> Queries.text(alice, "SELECT " + call))
          .as(call)
          .hasMessageContaining("cannot be called inside a workflow");
    }
    assertThat(Queries.text(alice, "SELECT df.getvar('kept')")).isEqualTo("yes");
  }

  @Test
  void mutatorsRunWhenTheWorkflowMarkerIsNotTrue() throws SQLException {
    Queries.execute(alice, "SET df.in_workflow = 'false'");

    String answer = Queries.text(alice, "SELECT df.setvar('outside', 'yes')");

    assertThat(answer).isEqualTo("OK");
  }

  @Test
  void mutatorsMarkTheirResultAsNoWorkflowStepForTheStatement() throws SQLException {
    for (String helper : List.of("df.setvar('m', 'v')", "df.unsetvar('m')", "df.clearvars()")) {

      List<String> marked =
          Queries.rows(
                  alice,
                  "SELECT "
                      + helper
                      + ", current_setting('df.non_future_helper'), statement_timestamp()::text")
              .get(0);

      String name = helper.substring(0, helper.indexOf('(')) + "()";
      assertThat(marked.get(1)).as(helper).isEqualTo(name + "\n" + marked.get(2));
    }
  }

  @Test
  void aMutatorsResultCannotBecomeAWorkflowStep() throws SQLException {
    long instancesBefore = Queries.number(alice, "SELECT count(*) FROM df.instances");

    for (String helper : List.of("df.setvar('m', 'v')", "df.unsetvar('m')", "df.clearvars()")) {

      String name = helper.substring(0, helper.indexOf('(')) + "()";
      assertThatThrownBy(() -> Queries.text(alice, "SELECT df.start(" + helper + ")"))
          .as(helper)
          .hasMessageContaining(name + " cannot be used as a workflow step");
      assertThatThrownBy(() -> Queries.text(alice, "SELECT df.seq('SELECT 1', " + helper + ")"))
          .as(helper)
          .hasMessageContaining(name + " cannot be used as a workflow step");
    }
    assertThat(Queries.number(alice, "SELECT count(*) FROM df.instances"))
        .isEqualTo(instancesBefore);
  }

  @Test
  void theMarkEndsWithTheTransaction() throws SQLException {
    Queries.text(alice, "SELECT df.setvar('m', 'v')");

    String after = Queries.text(alice, "SELECT current_setting('df.non_future_helper', true)");

    assertThat(after).isNullOrEmpty();
  }

  @Test
  void getvarIsAllowedInsideAWorkflowAndLeavesNoMark() throws SQLException {
    Queries.text(alice, "SELECT df.setvar('visible', 'yes')");
    Queries.execute(alice, "SET df.in_workflow = 'true'");

    List<String> answers =
        Queries.rows(
                alice, "SELECT df.getvar('visible'), current_setting('df.non_future_helper', true)")
            .get(0);

    assertThat(answers.get(0)).isEqualTo("yes");
    assertThat(answers.get(1)).isNullOrEmpty();
  }

  @Test
  void startSnapshotsTheVariablesSetBeforeIt() throws SQLException {
    Queries.text(alice, "SELECT df.setvar('table_name', 'orders')");
    Queries.execute(alice, "INSERT INTO df.vars (name, value) VALUES ('unset_value', NULL)");
    String id = Queries.text(alice, "SELECT df.start('SELECT * FROM {table_name}')");

    Queries.text(alice, "SELECT df.setvar('table_name', 'changed_later')");

    assertThat(
            Queries.text(
                postgres.dataSource(),
                "SELECT vars::text FROM df_engine.runs WHERE instance_id = ?",
                id))
        .isEqualTo("{\"table_name\": \"orders\"}");
  }

  @Test
  void variablesOfOtherRolesAreNotSnapshotted() throws SQLException {
    Queries.text(bob, "SELECT df.setvar('bobs_only', 'x')");

    String id = Queries.text(alice, "SELECT df.start('SELECT 1')");

    assertThat(
            Queries.rows(
                postgres.dataSource(),
                "SELECT vars::text FROM df_engine.runs WHERE instance_id = ?",
                id))
        .containsExactly(Arrays.asList("{}"));
  }
}
