package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Durofut text of every node constructor, its validation and NULL handling (SPEC.md §3.1). */
class DslConstructorsTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String A = "{\"node_type\":\"SQL\",\"query\":\"a\"}";
  private static final String B = "{\"node_type\":\"SQL\",\"query\":\"b\"}";
  private static final String C = "{\"node_type\":\"SQL\",\"query\":\"c\"}";

  private Connection alice;

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
    DslStatements.createPretendHelper(alice);
  }

  @AfterEach
  void disconnect() throws SQLException {
    alice.close();
  }

  @Test
  void constructorsHaveTheReferenceSignaturesAndStrictness() throws SQLException {
    List<List<String>> catalog =
        Queries.rows(
            alice,
            """
            SELECT p.oid::regprocedure::text, pg_get_function_arguments(p.oid),
                   p.proisstrict::text, p.provolatile::text, p.prorettype::regtype::text
              FROM pg_proc p
             WHERE p.pronamespace = 'df'::regnamespace
               AND p.proname IN ('sql', 'seq', 'as', 'sleep', 'wait_for_schedule', 'loop', 'break',
                                 'if', 'if_rows', 'join', 'join3', 'race', 'wait_for_signal')
             ORDER BY p.oid::regprocedure::text COLLATE "C"\
            """);

    assertThat(catalog)
        .containsExactly(
            List.of("df.\"as\"(text,text)", "fut text, name text", "true", "v", "text"),
            List.of("df.\"join\"(text,text)", "a text, b text", "true", "v", "text"),
            List.of("df.break(text)", "value text DEFAULT NULL::text", "false", "v", "text"),
            List.of(
                "df.if(text,text,text)",
                "condition text, then_branch text, else_branch text",
                "true",
                "v",
                "text"),
            List.of(
                "df.if_rows(text,text,text)",
                "result_name text, then_branch text, else_branch text",
                "true",
                "v",
                "text"),
            List.of("df.join3(text,text,text)", "a text, b text, c text", "true", "v", "text"),
            List.of(
                "df.loop(text,text)",
                "body text, condition text DEFAULT NULL::text",
                "false",
                "v",
                "text"),
            List.of("df.race(text,text)", "a text, b text", "true", "v", "text"),
            List.of("df.seq(text,text)", "a text, b text", "true", "v", "text"),
            List.of("df.sleep(bigint)", "seconds bigint", "true", "v", "text"),
            List.of("df.sql(text)", "query text", "true", "v", "text"),
            List.of("df.wait_for_schedule(text)", "cron_expr text", "true", "v", "text"),
            List.of(
                "df.wait_for_schedule(text,text)",
                "cron_expr text, time_zone text",
                "true",
                "v",
                "text"),
            List.of(
                "df.wait_for_signal(text,integer)",
                "name text, timeout_seconds integer DEFAULT NULL::integer",
                "false",
                "v",
                "text"));
  }

  @Test
  void dslFunctionsRunWithTheCallersRightsAndAPinnedSearchPath() throws SQLException {
    List<String> unsafe =
        Queries.column(
            alice,
            """
            SELECT p.oid::regprocedure::text
              FROM pg_proc p
             WHERE p.pronamespace = 'df'::regnamespace
               AND p.proname IN ('sql', 'seq', 'as', 'sleep', 'wait_for_schedule', 'loop', 'break',
                                 'if', 'if_rows', 'join', 'join3', 'race', 'wait_for_signal', 'http',
                                 'http_multipart', 'retry', 'timeout', 'map', 'activity', 'embed',
                                 'as_op', 'if_then_op', 'if_else_op', 'loop_prefix_op')
               AND (p.prosecdef
                    OR NOT 'search_path=pg_catalog, pg_temp' = ANY (coalesce(p.proconfig, '{}')))\
            """);
    long count =
        Queries.number(
            alice,
            """
            SELECT count(*) FROM pg_proc p
             WHERE p.pronamespace = 'df'::regnamespace
               AND p.proname IN ('sql', 'seq', 'as', 'sleep', 'wait_for_schedule', 'loop', 'break',
                                 'if', 'if_rows', 'join', 'join3', 'race', 'wait_for_signal', 'http',
                                 'http_multipart', 'retry', 'timeout', 'map', 'activity', 'embed',
                                 'as_op', 'if_then_op', 'if_else_op', 'loop_prefix_op')\
            """);

    assertThat(unsafe).isEmpty();
    assertThat(count).isEqualTo(25);
  }

  @Test
  void constructorsWriteNothing() throws SQLException {
    Queries.rows(
        alice,
        "SELECT df.seq('a', 'b'), df.sleep(1), df.wait_for_signal('go'), df.loop('a'),"
            + " df.wait_for_schedule('* * * * *'), df.join3('a', 'b', 'c')");

    long instances = Queries.number(postgres.dataSource(), "SELECT count(*) FROM df.instances");
    long nodes = Queries.number(postgres.dataSource(), "SELECT count(*) FROM df.nodes");

    assertThat(instances).isZero();
    assertThat(nodes).isZero();
  }

  @Test
  void sleepStoresItsSecondsAsDecimalText() throws SQLException {
    List<String> durofuts =
        Queries.rows(alice, "SELECT df.sleep(60), df.sleep(0), df.sleep(seconds => 86400)").get(0);

    assertThat(durofuts)
        .containsExactly(
            "{\"node_type\":\"SLEEP\",\"query\":\"60\"}",
            "{\"node_type\":\"SLEEP\",\"query\":\"0\"}",
            "{\"node_type\":\"SLEEP\",\"query\":\"86400\"}");
  }

  @Test
  void sleepRejectsNegativeSeconds() throws SQLException {
    String error = DslStatements.errorOf(alice, "SELECT df.sleep(-1)");

    assertThat(error).isEqualTo("df.sleep(): seconds must be non-negative, was -1");
  }

  @Test
  void breakStoresItsValueAsALiteralString() throws SQLException {
    List<String> durofuts =
        Queries.rows(
                alice,
                "SELECT df.break(), df.break(NULL), df.break('done'), df.break('SELECT 1'),"
                    + " df.break(?)",
                "{\"a\": 1}")
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            "{\"node_type\":\"BREAK\",\"query\":\"{\\\"break_value\\\":null}\"}",
            "{\"node_type\":\"BREAK\",\"query\":\"{\\\"break_value\\\":null}\"}",
            "{\"node_type\":\"BREAK\",\"query\":\"{\\\"break_value\\\":\\\"done\\\"}\"}",
            "{\"node_type\":\"BREAK\",\"query\":\"{\\\"break_value\\\":\\\"SELECT 1\\\"}\"}",
            "{\"node_type\":\"BREAK\",\"query\":"
                + "\"{\\\"break_value\\\":\\\"{\\\\\\\"a\\\\\\\": 1}\\\"}\"}");
  }

  @Test
  void asNamesAPlainSqlText() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.as('SELECT 1', 'one')");

    assertThat(durofut)
        .isEqualTo("{\"node_type\":\"SQL\",\"query\":\"SELECT 1\",\"result_name\":\"one\"}");
  }

  @Test
  void asOverwritesAnExistingResultName() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.as(df.as('SELECT 1', 'first'), '_second2')");

    assertThat(durofut)
        .isEqualTo("{\"node_type\":\"SQL\",\"query\":\"SELECT 1\",\"result_name\":\"_second2\"}");
  }

  @Test
  void asNamesTheWholeCompoundNode() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.as(df.join('a', 'b'), 'both')");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"JOIN\",\"left_node\":"
                + A
                + ",\"right_node\":"
                + B
                + ",\"result_name\":\"both\"}");
  }

  @Test
  void asRejectsAnEmptyName() throws SQLException {
    String error = DslStatements.errorOf(alice, "SELECT df.as('SELECT 1', '')");

    assertThat(error).isEqualTo("result name cannot be empty");
  }

  @Test
  void asRejectsNamesThatAreNotIdentifiers() throws SQLException {
    List<String> errors = new ArrayList<>();
    for (String name : List.of("1a", "a-b", "a b", " a", "été", "a;", "$a")) {
      errors.add(DslStatements.errorOf(alice, "SELECT df.as('SELECT 1', ?)", name));
    }

    assertThat(errors)
        .containsExactly(
            "result name '1a' is not a valid identifier",
            "result name 'a-b' is not a valid identifier",
            "result name 'a b' is not a valid identifier",
            "result name ' a' is not a valid identifier",
            "result name 'été' is not a valid identifier",
            "result name 'a;' is not a valid identifier",
            "result name '$a' is not a valid identifier");
  }

  @Test
  void ifPutsThenLeftElseRightAndTheConditionLast() throws SQLException {
    String durofut =
        Queries.text(
            alice, "SELECT df.if(then_branch => 'a', else_branch => 'b', condition => 'c')");

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"IF\",\"left_node\":"
                + A
                + ",\"right_node\":"
                + B
                + ",\"condition_node\":"
                + C
                + "}");
  }

  @Test
  void ifRowsKeepsTheResultNameAsALiteralInItsQuery() throws SQLException {
    List<String> durofuts =
        Queries.rows(
                alice, "SELECT df.if_rows('found', 'a', 'b'), df.if_rows('no\"t valid', 'a', 'b')")
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            "{\"node_type\":\"IF\",\"left_node\":"
                + A
                + ",\"right_node\":"
                + B
                + ",\"query\":\"{\\\"condition_type\\\":\\\"result_has_rows\\\","
                + "\\\"result_name\\\":\\\"found\\\"}\"}",
            "{\"node_type\":\"IF\",\"left_node\":"
                + A
                + ",\"right_node\":"
                + B
                + ",\"query\":\"{\\\"condition_type\\\":\\\"result_has_rows\\\","
                + "\\\"result_name\\\":\\\"no\\\\\\\"t valid\\\"}\"}");
  }

  @Test
  void joinJoin3AndRaceEmbedTheirBranchesInOrder() throws SQLException {
    List<String> durofuts =
        Queries.rows(alice, "SELECT df.join('a', 'b'), df.join3('a', 'b', 'c'), df.race('a', 'b')")
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            "{\"node_type\":\"JOIN\",\"left_node\":" + A + ",\"right_node\":" + B + "}",
            "{\"node_type\":\"JOIN\",\"left_node\":"
                + A
                + ",\"right_node\":"
                + B
                + ",\"extra_nodes\":["
                + C
                + "]}",
            "{\"node_type\":\"RACE\",\"left_node\":" + A + ",\"right_node\":" + B + "}");
  }

  @Test
  void loopHasAnOptionalWhileCondition() throws SQLException {
    List<String> durofuts =
        Queries.rows(
                alice,
                "SELECT df.loop('a'), df.loop('a', NULL), df.loop(body => 'a', condition => 'c')")
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            "{\"node_type\":\"LOOP\",\"left_node\":" + A + "}",
            "{\"node_type\":\"LOOP\",\"left_node\":" + A + "}",
            "{\"node_type\":\"LOOP\",\"left_node\":" + A + ",\"condition_node\":" + C + "}");
  }

  @Test
  void waitForSignalStoresItsNameAndTimeout() throws SQLException {
    List<String> durofuts =
        Queries.rows(
                alice,
                "SELECT df.wait_for_signal('approve'), df.wait_for_signal('approve', 60),"
                    + " df.wait_for_signal(name => 'a\"b', timeout_seconds => NULL)")
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            "{\"node_type\":\"SIGNAL\",\"query\":"
                + "\"{\\\"signal_name\\\":\\\"approve\\\",\\\"timeout_seconds\\\":null}\"}",
            "{\"node_type\":\"SIGNAL\",\"query\":"
                + "\"{\\\"signal_name\\\":\\\"approve\\\",\\\"timeout_seconds\\\":60}\"}",
            "{\"node_type\":\"SIGNAL\",\"query\":"
                + "\"{\\\"signal_name\\\":\\\"a\\\\\\\"b\\\",\\\"timeout_seconds\\\":null}\"}");
  }

  @Test
  void waitForSignalRejectsAnEmptyNameAndTimeoutsThatAreNotPositive() throws SQLException {
    String empty = DslStatements.errorOf(alice, "SELECT df.wait_for_signal('')");
    String missing = DslStatements.errorOf(alice, "SELECT df.wait_for_signal(NULL, 5)");
    String zero = DslStatements.errorOf(alice, "SELECT df.wait_for_signal('go', 0)");
    String negative = DslStatements.errorOf(alice, "SELECT df.wait_for_signal('go', -5)");

    assertThat(empty).isEqualTo("df.wait_for_signal(): the signal name cannot be empty");
    assertThat(missing).isEqualTo("df.wait_for_signal(): the signal name cannot be empty");
    assertThat(zero).contains("Timeout must be positive").contains("was 0");
    assertThat(negative).contains("Timeout must be positive").contains("was -5");
  }

  @Test
  void nullPropagatesThroughStrictConstructorsAndALoopWithoutBody() throws SQLException {
    List<String> results =
        Queries.rows(
                alice,
                """
                SELECT df.as(NULL, 'n'), df.as('a', NULL), df.sleep(NULL), df.if(NULL, 'a', 'b'),
                       df.if('c', 'a', NULL), df.if_rows(NULL, 'a', 'b'), df.join('a', NULL),
                       df.join3('a', 'b', NULL), df.race(NULL, 'b'), df.wait_for_schedule(NULL),
                       df.loop(NULL), df.loop(NULL, 'c')\
                """)
            .get(0);

    assertThat(results).hasSize(12).containsOnlyNulls();
  }

  @Test
  void helperReturnValueUsedAsAStepIsRejected() throws SQLException {
    String seq =
        DslStatements.errorOf(
            alice, "SELECT df.seq(public.pretend_helper('df.setvar', 'OK'), 'SELECT 1')");
    String sql =
        DslStatements.errorOf(alice, "SELECT df.sql(public.pretend_helper('df.clearvars', 'OK'))");
    String loop =
        DslStatements.errorOf(
            alice, "SELECT df.loop('a', public.pretend_helper('df.await_instance', 'completed'))");
    String named =
        DslStatements.errorOf(
            alice, "SELECT df.as(public.pretend_helper('df.unsetvar', 'OK'), 'n')");

    assertThat(seq).isEqualTo("df.setvar cannot be used as a workflow step");
    assertThat(sql).isEqualTo("df.clearvars cannot be used as a workflow step");
    assertThat(loop).isEqualTo("df.await_instance cannot be used as a workflow step");
    assertThat(named).isEqualTo("df.unsetvar cannot be used as a workflow step");
  }

  @Test
  void setvarResultUsedAsAStepIsRejected() throws SQLException {
    String error =
        DslStatements.errorOf(alice, "SELECT df.seq(df.setvar('guarded', '1'), 'SELECT 1')");

    assertThat(error).isEqualTo("df.setvar() cannot be used as a workflow step");
  }

  @Test
  void everyComposerChecksItsNodeParameters() throws SQLException {
    List<String> calls =
        List.of(
            "df.seq('a', %s)",
            "df.if(%s, 'a', 'b')",
            "df.if('c', 'a', %s)",
            "df.if_rows('r', %s, 'b')",
            "df.join('a', %s)",
            "df.join3('a', 'b', %s)",
            "df.race(%s, 'b')",
            "df.loop(%s)");
    List<String> errors = new ArrayList<>();
    for (String call : calls) {
      errors.add(
          DslStatements.errorOf(
              alice, "SELECT " + call.formatted("public.pretend_helper('df.setvar', 'OK')")));
    }

    assertThat(errors)
        .hasSize(calls.size())
        .containsOnly("df.setvar cannot be used as a workflow step");
  }

  @Test
  void guardIgnoresDurofutsAndOtherTextInTheMarkedStatement() throws SQLException {
    List<String> results =
        Queries.rows(
                alice,
                "SELECT public.pretend_helper('df.setvar', 'OK'),"
                    + " df.seq('SELECT 1', public.pretend_helper('df.setvar', 'b')),"
                    + " df.seq(' {\"node_type\":\"SQL\",\"query\":\"OK\"}', 'b')")
            .get(0);

    assertThat(results)
        .containsExactly(
            "OK",
            "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"SELECT 1\"},"
                + "\"right_node\":"
                + B
                + "}",
            "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"OK\"},"
                + "\"right_node\":"
                + B
                + "}");
  }

  @Test
  void guardAvoidsTheFalsePositiveOfADoBlockThatSetsAVariableFirst() {
    assertThatCode(() ->
            Queries.execute(
                alice,
                """
                DO $$
                BEGIN
                  PERFORM public.pretend_helper('df.setvar', 'OK');
                  PERFORM df.seq('SELECT 1', 'SELECT 2');
                END
                $$\
                """))
        .doesNotThrowAnyException();
  }

  @Test
  void guardAppliesOnlyToTheStatementThatCalledTheHelper() throws SQLException {
    alice.setAutoCommit(false);
    Queries.text(alice, "SELECT public.pretend_helper('df.setvar', 'OK')");

    String durofut = Queries.text(alice, "SELECT df.seq('OK', 'b')");
    alice.rollback();

    assertThat(durofut)
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":{\"node_type\":\"SQL\",\"query\":\"OK\"},"
                + "\"right_node\":"
                + B
                + "}");
  }

  @Test
  void loopsNestedBeyondTheDepthLimitStillBuild() throws SQLException {
    StringBuilder expected = new StringBuilder();
    for (int depth = 300; depth >= 1; depth--) {
      expected.append("{\"node_type\":\"LOOP\",\"left_node\":");
    }
    expected.append("{\"node_type\":\"SQL\",\"query\":\"SELECT 1\",\"result_name\":\"r0\"}");
    for (int depth = 1; depth <= 300; depth++) {
      expected.append(",\"result_name\":\"r").append(depth).append("\"}");
    }

    String durofut =
        Queries.text(
            alice,
            """
            WITH RECURSIVE nest(depth, fut) AS (
                SELECT 0, df.as('SELECT 1', 'r0')
              UNION ALL
                SELECT depth + 1, df.as(df.loop(fut), 'r' || (depth + 1)) FROM nest WHERE depth < 300)
            SELECT fut FROM nest WHERE depth = 300\
            """);

    assertThat(durofut).isEqualTo(expected.toString());
  }

  @Test
  void deeplyNestedIfsBuildAndAreReEmittedUnchanged() throws SQLException {
    String expected =
        "{\"node_type\":\"IF\",\"left_node\":".repeat(257)
            + "{\"node_type\":\"SQL\",\"query\":\"SELECT 1\"}"
            + (",\"right_node\":" + B + ",\"condition_node\":" + C + "}").repeat(257);

    List<String> results =
        Queries.rows(
                alice,
                """
                WITH RECURSIVE nest(depth, fut) AS (
                    SELECT 0, df.sql('SELECT 1')
                  UNION ALL
                    SELECT depth + 1, df.if('c', fut, 'b') FROM nest WHERE depth < 257)
                SELECT fut, df.seq(fut, 'b') FROM nest WHERE depth = 257\
                """)
            .get(0);

    assertThat(results.get(0)).isEqualTo(expected);
    assertThat(results.get(1))
        .isEqualTo(
            "{\"node_type\":\"THEN\",\"left_node\":" + expected + ",\"right_node\":" + B + "}");
  }
}
