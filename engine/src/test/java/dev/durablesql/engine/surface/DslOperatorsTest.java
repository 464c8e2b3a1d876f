package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The DSL operators and their PostgreSQL precedence (SPEC.md §4). JDBC reads a lone question mark
 * as a parameter, so {@code ?>} is written {@code ??>} here.
 */
class DslOperatorsTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String A = sql("a");
  private static final String B = sql("b");
  private static final String C = sql("c");
  private static final String D = sql("d");
  private static final String E = sql("e");
  private static final String T = sql("t");
  private static final String X = sql("x");

  private Connection alice;

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
    DslStatements.useDfOperators(alice);
  }

  @AfterEach
  void disconnect() throws SQLException {
    alice.close();
  }

  private static String sql(String query) {
    return "{\"node_type\":\"SQL\",\"query\":\"" + query + "\"}";
  }

  private static String then(String left, String right) {
    return "{\"node_type\":\"THEN\",\"left_node\":" + left + ",\"right_node\":" + right + "}";
  }

  private static String ifNode(String condition, String thenBranch, String elseBranch) {
    return "{\"node_type\":\"IF\",\"left_node\":"
        + thenBranch
        + ",\"right_node\":"
        + elseBranch
        + ",\"condition_node\":"
        + condition
        + "}";
  }

  private static String named(String node, String name) {
    return node.substring(0, node.length() - 1) + ",\"result_name\":\"" + name + "\"}";
  }

  @Test
  void operatorsLiveInSchemaDfOnTextWithTheirFunctions() throws SQLException {
    Queries.execute(alice, "RESET search_path");

    List<List<String>> operators =
        Queries.rows(
            alice,
            """
            SELECT o.oprname, coalesce(o.oprleft::regtype::text, '-'), o.oprright::regtype::text,
                   o.oprcode::regprocedure::text
              FROM pg_operator o
             WHERE o.oprnamespace = 'df'::regnamespace
             ORDER BY o.oprname COLLATE "C"\
            """);

    assertThat(operators)
        .containsExactly(
            List.of("!>", "text", "text", "df.if_else_op(text,text)"),
            List.of("&", "text", "text", "df.\"join\"(text,text)"),
            List.of("?>", "text", "text", "df.if_then_op(text,text)"),
            List.of("@>", "-", "text", "df.loop_prefix_op(text)"),
            List.of("|", "text", "text", "df.race(text,text)"),
            List.of("|=>", "text", "text", "df.as_op(text,text)"),
            List.of("~>", "text", "text", "df.seq(text,text)"));
  }

  @Test
  void operatorHelpersAreImmutableAndStrict() throws SQLException {
    Queries.execute(alice, "RESET search_path");

    List<List<String>> helpers =
        Queries.rows(
            alice,
            """
            SELECT p.oid::regprocedure::text, pg_get_function_arguments(p.oid), p.provolatile::text,
                   p.proisstrict::text
              FROM pg_proc p
             WHERE p.pronamespace = 'df'::regnamespace AND p.proname LIKE '%\\_op'
             ORDER BY p.oid::regprocedure::text COLLATE "C"\
            """);

    assertThat(helpers)
        .containsExactly(
            List.of("df.as_op(text,text)", "fut text, name text", "i", "true"),
            List.of("df.if_else_op(text,text)", "partial_if text, else_branch text", "i", "true"),
            List.of("df.if_then_op(text,text)", "condition text, then_branch text", "i", "true"),
            List.of("df.loop_prefix_op(text)", "body text", "i", "true"));
  }

  @Test
  void eachOperatorBuildsItsNode() throws SQLException {
    List<String> durofuts =
        Queries.rows(
                alice,
                """
                SELECT 'a' ~> 'b', 'a' |=> 'n', 'a' & 'b', 'a' | 'b', 'c' ??> 't' !> 'e', @> 'a'\
                """)
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            then(A, B),
            named(A, "n"),
            "{\"node_type\":\"JOIN\",\"left_node\":" + A + ",\"right_node\":" + B + "}",
            "{\"node_type\":\"RACE\",\"left_node\":" + A + ",\"right_node\":" + B + "}",
            ifNode(C, T, E),
            "{\"node_type\":\"LOOP\",\"left_node\":" + A + "}");
  }

  @Test
  void operatorsWorkWithoutDfOnTheSearchPath() throws SQLException {
    Queries.execute(alice, "RESET search_path");

    String durofut =
        Queries.text(
            alice,
            "SELECT OPERATOR(df.@>) ('c' OPERATOR(df.??>) 't' OPERATOR(df.!>) 'e'"
                + " OPERATOR(df.|=>) 'n')");

    assertThat(durofut)
        .isEqualTo("{\"node_type\":\"LOOP\",\"left_node\":" + named(ifNode(C, T, E), "n") + "}");
  }

  @Test
  void partialIfIsTheJsonbTextOfItsRawOperands() throws SQLException {
    String partial = Queries.text(alice, "SELECT 'c' ??> df.sql('t')");

    assertThat(partial)
        .isEqualTo(
            "{\"condition\": \"c\", \"_partial_if\": true, \"then_branch\":"
                + " \"{\\\"node_type\\\":\\\"SQL\\\",\\\"query\\\":\\\"t\\\"}\"}");
  }

  @Test
  void elseWithoutAPartialIfOnTheLeftIsAnError() throws SQLException {
    String plain = DslStatements.errorOf(alice, "SELECT 'c' !> 'e'");
    String durofut = DslStatements.errorOf(alice, "SELECT df.sql('c') !> 'e'");

    assertThat(plain).isEqualTo("Invalid if-then-else: left side of !> must be a ?> expression");
    assertThat(durofut).isEqualTo("Invalid if-then-else: left side of !> must be a ?> expression");
  }

  @Test
  void nameAfterASequenceNamesTheWholeSequence() throws SQLException {
    String durofut = Queries.text(alice, "SELECT 'a' ~> 'b' |=> 'n'");

    assertThat(durofut).isEqualTo(named(then(A, B), "n"));
  }

  @Test
  void nameAfterAJoinNamesTheJoin() throws SQLException {
    String durofut = Queries.text(alice, "SELECT 'a' & 'b' |=> 'n'");

    assertThat(durofut)
        .isEqualTo(
            named(
                "{\"node_type\":\"JOIN\",\"left_node\":" + A + ",\"right_node\":" + B + "}", "n"));
  }

  @Test
  void nameBeforeASequenceNamesOnlyTheFirstStep() throws SQLException {
    String durofut = Queries.text(alice, "SELECT 'a' |=> 'x' ~> 'b'");

    assertThat(durofut).isEqualTo(then(named(A, "x"), B));
  }

  @Test
  void sequenceAfterACompleteIfFollowsTheIf() throws SQLException {
    String durofut = Queries.text(alice, "SELECT 'c' ??> 't' !> 'e' ~> 'd'");

    assertThat(durofut).isEqualTo(then(ifNode(C, T, E), D));
  }

  @Test
  void sequenceInsideAnUnparenthesisedThenBranchBreaksTheIf() throws SQLException {
    String error = DslStatements.errorOf(alice, "SELECT 'c' ??> 't' ~> 'd' !> 'e'");

    assertThat(error).isEqualTo("Invalid if-then-else: left side of !> must be a ?> expression");
  }

  @Test
  void parenthesisedThenBranchHoldsASequence() throws SQLException {
    String durofut = Queries.text(alice, "SELECT 'c' ??> ('t' ~> 'd') !> 'e'");

    assertThat(durofut).isEqualTo(ifNode(C, then(T, D), E));
  }

  @Test
  void stepsBeforeAConditionBecomePartOfTheCondition() throws SQLException {
    String durofut = Queries.text(alice, "SELECT 'x' ~> 'c' ??> 't' !> 'e'");

    assertThat(durofut).isEqualTo(ifNode(then(X, C), T, E));
  }

  @Test
  void loopPrefixBindsOnlyTheOperandToItsRight() throws SQLException {
    List<String> durofuts = Queries.rows(alice, "SELECT @> 'a' ~> 'b', @> ('a' ~> 'b')").get(0);

    assertThat(durofuts)
        .containsExactly(
            then("{\"node_type\":\"LOOP\",\"left_node\":" + A + "}", B),
            "{\"node_type\":\"LOOP\",\"left_node\":" + then(A, B) + "}");
  }

  @Test
  void operatorsMixStrictlyLeftToRightWithConcatenationJoinAndRace() throws SQLException {
    List<String> durofuts =
        Queries.rows(
                alice,
                "SELECT 'a' ~> 'b' & 'c', 'a' & 'b' ~> 'c', 'a' | 'b' ~> 'c', 'a' || 'b' ~> 'c',"
                    + " 'a' ~> 'b' || 'c'")
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            "{\"node_type\":\"JOIN\",\"left_node\":" + then(A, B) + ",\"right_node\":" + C + "}",
            then("{\"node_type\":\"JOIN\",\"left_node\":" + A + ",\"right_node\":" + B + "}", C),
            then("{\"node_type\":\"RACE\",\"left_node\":" + A + ",\"right_node\":" + B + "}", C),
            then(sql("ab"), C),
            then(A, B) + "c");
  }

  @Test
  void castsBindTighterThanTheOperators() throws SQLException {
    String durofut = Queries.text(alice, "SELECT 'a' ~> 'SELECT 1'::char(3)");

    assertThat(durofut).isEqualTo(then(A, sql("SEL")));
  }

  @Test
  void nestedIfsComposeThroughParentheses() throws SQLException {
    String durofut = Queries.text(alice, "SELECT 'c' ??> ('x' ??> 't' !> 'd') !> 'e'");

    assertThat(durofut).isEqualTo(ifNode(C, ifNode(X, T, D), E));
  }

  @Test
  void partialIfNeverCompletedIsWrappedAsSql() throws SQLException {
    String durofut = Queries.text(alice, "SELECT ('c' ??> 't') ~> 'b'");

    assertThat(durofut)
        .isEqualTo(
            then(
                "{\"node_type\":\"SQL\",\"query\":\"{\\\"condition\\\": \\\"c\\\","
                    + " \\\"_partial_if\\\": true, \\\"then_branch\\\": \\\"t\\\"}\"}",
                B));
  }

  @Test
  void nullPropagatesThroughEveryOperator() throws SQLException {
    List<String> results =
        Queries.rows(
                alice,
                """
                SELECT NULL ~> 'b', 'a' |=> NULL, NULL |=> 'n', 'a' & NULL, NULL | 'b',
                       NULL ??> 't', 'c' ??> 't' !> NULL, @> NULL::text\
                """)
            .get(0);

    assertThat(results).hasSize(8).containsOnlyNulls();
  }

  @Test
  void unknownLiteralsResolveToTheTextOperatorsWhileOtherTypesKeepTheirs() throws SQLException {
    List<String> results =
        Queries.rows(
                alice,
                """
                SELECT 'x' & 'y', 'x' | 'y', 6 & 3, 6 | 3, '{1,2}'::int[] @> '{1}',
                       '{"a":1}'::jsonb @> '{}'\
                """)
            .get(0);

    assertThat(results)
        .containsExactly(
            "{\"node_type\":\"JOIN\",\"left_node\":"
                + sql("x")
                + ",\"right_node\":"
                + sql("y")
                + "}",
            "{\"node_type\":\"RACE\",\"left_node\":"
                + sql("x")
                + ",\"right_node\":"
                + sql("y")
                + "}",
            "2",
            "7",
            "t",
            "t");
  }

  @Test
  void dfDefinesExactlyOneOverloadOfEachOperator() throws SQLException {
    long overloads =
        Queries.number(
            alice,
            "SELECT count(*) FROM pg_operator WHERE oprnamespace = 'df'::regnamespace"
                + " AND oprname IN ('~>', '|=>', '&', '|', '?>', '!>', '@>')");

    assertThat(overloads).isEqualTo(7);
  }

  @Test
  void reapplyingTheDslFileKeepsTheOperators() throws SQLException, IOException {
    String before = Queries.text(alice, "SELECT 'c' ??> 't' !> 'e' |=> 'n'");

    DslStatements.reapplySchemaFile(postgres.dataSource(), "R__020_dsl.sql");

    String after = Queries.text(alice, "SELECT 'c' ??> 't' !> 'e' |=> 'n'");
    long overloads =
        Queries.number(
            alice, "SELECT count(*) FROM pg_operator WHERE oprnamespace = 'df'::regnamespace");
    assertThat(after).isEqualTo(before).isEqualTo(named(ifNode(C, T, E), "n"));
    assertThat(overloads).isEqualTo(7);
  }
}
