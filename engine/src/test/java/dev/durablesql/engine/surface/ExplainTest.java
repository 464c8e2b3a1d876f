package dev.durablesql.engine.surface;

import static dev.durablesql.engine.surface.ExplainGraphs.activity;
import static dev.durablesql.engine.surface.ExplainGraphs.breakWith;
import static dev.durablesql.engine.surface.ExplainGraphs.chain;
import static dev.durablesql.engine.surface.ExplainGraphs.http;
import static dev.durablesql.engine.surface.ExplainGraphs.httpMultipart;
import static dev.durablesql.engine.surface.ExplainGraphs.ifRows;
import static dev.durablesql.engine.surface.ExplainGraphs.ifThenElse;
import static dev.durablesql.engine.surface.ExplainGraphs.join;
import static dev.durablesql.engine.surface.ExplainGraphs.loop;
import static dev.durablesql.engine.surface.ExplainGraphs.loopWhile;
import static dev.durablesql.engine.surface.ExplainGraphs.map;
import static dev.durablesql.engine.surface.ExplainGraphs.named;
import static dev.durablesql.engine.surface.ExplainGraphs.nestedLoops;
import static dev.durablesql.engine.surface.ExplainGraphs.race;
import static dev.durablesql.engine.surface.ExplainGraphs.raw;
import static dev.durablesql.engine.surface.ExplainGraphs.signal;
import static dev.durablesql.engine.surface.ExplainGraphs.sleep;
import static dev.durablesql.engine.surface.ExplainGraphs.sql;
import static dev.durablesql.engine.surface.ExplainGraphs.string;
import static dev.durablesql.engine.surface.ExplainGraphs.then;
import static dev.durablesql.engine.surface.ExplainGraphs.waitSchedule;
import static dev.durablesql.engine.surface.ExplainTexts.expected;
import static dev.durablesql.engine.surface.ExplainTexts.explain;
import static java.util.Collections.nCopies;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** df.explain in dry-run mode: mode selection, node labels and layout (SPEC.md §12.1). */
class ExplainTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  /** {@code 'SELECT 1' |=> 'a' ~> df.if('SELECT $a > 0','SELECT 1','SELECT 2')}, by hand. */
  private static final String SPEC_EXAMPLE =
      then(
          named(sql("SELECT 1"), "a"),
          ifThenElse(sql("SELECT $a > 0"), sql("SELECT 1"), sql("SELECT 2")));

  private Connection alice;

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
  }

  @AfterEach
  void disconnect() throws SQLException {
    alice.close();
  }

  @Test
  void specExampleIsDrawnAsTheReferenceDrawsIt() throws SQLException {
    String drawing = explain(alice, SPEC_EXAMPLE);

    assertThat(drawing).isEqualTo(expected("spec-example"));
  }

  @Test
  void specExampleLinesAreTheSpecsLinesPaddedToTheLongestPlusFour() throws SQLException {
    List<String> specLines =
        List.of(
            "SQL: SELECT 1 |=> 'a'",
            "→ IF",
            "    ? condition:",
            "      └─SQL: SELECT $a > 0",
            "    ✓ then:",
            "      └─SQL: SELECT 1",
            "    ✗ else:",
            "      └─SQL: SELECT 2");
    int width = specLines.stream().mapToInt(String::length).max().orElseThrow() + 4;

    List<String> lines = explain(alice, SPEC_EXAMPLE).lines().toList();

    assertThat(lines)
        .containsExactlyElementsOf(
            specLines.stream().map(line -> line + " ".repeat(width - line.length())).toList());
  }

  @Test
  void everyNodeTypeHasItsLabelAndChildBlocks() throws SQLException {
    String graph =
        then(
            then(
                then(
                    named(sleep(60), "nap"),
                    named(
                        join(
                            http("https://example.com/orders", "GET"),
                            then(signal("approve", 30), waitSchedule("0 9 * * 1-5")),
                            race(signal("stop", null), waitSchedule("0 * * * *", "Europe/Paris"))),
                        "gathered")),
                named(
                    loopWhile(
                        ifRows("gathered", breakWith("done"), breakWith(null)),
                        sql("SELECT count(*) < 10 FROM work")),
                    "looped")),
            then(
                named(map("SELECT id FROM items", sql("SELECT $item.id"), 4), "mapped"),
                then(
                    named(activity("embed", "{\"input\":\"$mapped\"}"), "vectors"),
                    join(
                        loop(sql("SELECT 1")),
                        httpMultipart("https://upload.example.com", "PUT")))));

    String drawing = explain(alice, graph);

    assertThat(drawing).isEqualTo(expected("all-node-types"));
  }

  @Test
  void nonLastBranchesCarryAVerticalBarBelowTheirConnector() throws SQLException {
    String graph =
        join(
            then(sql("SELECT 1"), join(sql("SELECT 2"), sql("SELECT 3"))),
            race(ifThenElse(sql("SELECT true"), sql("SELECT 4"), sql("SELECT 5")), sql("SELECT 6")),
            loopWhile(then(sql("SELECT 7"), sql("SELECT 8")), sql("SELECT false")));

    String drawing = explain(alice, graph);

    assertThat(drawing).isEqualTo(expected("nested-branches"));
  }

  @Test
  void longQueriesUrlsAndBreakValuesAreTruncated() throws SQLException {
    String fifty = "SELECT '" + "x".repeat(41) + "'";
    String graph =
        then(
            then(
                then(sql(fifty), sql(fifty + " ")),
                then(
                    http("https://example.com/" + "a".repeat(20), "POST"),
                    http("https://example.com/" + "a".repeat(21), "POST"))),
            loop(then(breakWith("b".repeat(20)), breakWith("b".repeat(21)))));

    String drawing = explain(alice, graph);

    assertThat(fifty).hasSize(50);
    assertThat(drawing).isEqualTo(expected("truncation"));
  }

  @Test
  void aChainOf130StepsDrawsExactly129Arrows() throws SQLException {
    String drawing = explain(alice, chain(130));

    assertThat(drawing.lines()).hasSize(130);
    assertThat(drawing.chars().filter(c -> c == '→').count()).isEqualTo(129);
    assertThat(drawing.lines().toList().get(129)).startsWith("→ SQL: SELECT 130 ");
  }

  @Test
  void aGraph256LevelsDeepIsDrawnWholly() throws SQLException {
    String drawing = explain(alice, nestedLoops(256));

    List<String> lines = drawing.lines().toList();
    assertThat(lines).hasSize(256 * 2 + 1);
    assertThat(lines.get(0)).startsWith("LOOP (infinite) ");
    assertThat(lines.get(lines.size() - 1).stripTrailing())
        .isEqualTo("    " + "      ".repeat(255) + "  └─SQL: SELECT 1");
  }

  @Test
  void graphErrorsAreReturnedAsText() throws SQLException {
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("unknown type at the root", raw("NOT_A_NODE", List.of()));
    inputs.put(
        "unknown type below the root",
        then(sql("SELECT 1"), join(sql("SELECT 2"), raw("NOT_A_NODE", List.of()))));
    inputs.put("node without node_type", then(sql("SELECT 1"), "{\"query\":\"SELECT 2\"}"));
    inputs.put("depth 257", nestedLoops(257));
    inputs.put(
        "more than 10000 nodes",
        join(sql("SELECT 1"), sql("SELECT 2"), String.join(",", nCopies(9999, sql("SELECT 3")))));
    inputs.put(
        "condition_node on a SQL node",
        raw("SQL", List.of("\"query\":\"SELECT 1\"", "\"condition_node\":" + sql("SELECT 2"))));
    inputs.put(
        "extra_nodes on a RACE",
        raw(
            "RACE",
            List.of(
                "\"left_node\":" + sql("SELECT 1"),
                "\"right_node\":" + sql("SELECT 2"),
                "\"extra_nodes\":[]")));
    inputs.put("left_node not an object", raw("LOOP", List.of("\"left_node\":\"SELECT 1\"")));
    inputs.put(
        "extra_nodes entry not an object",
        raw(
            "JOIN",
            List.of(
                "\"left_node\":" + sql("SELECT 1"),
                "\"right_node\":" + sql("SELECT 2"),
                "\"extra_nodes\":[\"SELECT 3\"]")));
    inputs.put(
        "condition_node inside the IF config",
        raw(
            "IF",
            List.of(
                "\"left_node\":" + sql("SELECT 1"),
                "\"right_node\":" + sql("SELECT 2"),
                "\"query\":" + string("{\"condition_node\":" + sql("SELECT true") + "}"))));
    inputs.put(
        "IF config that is not JSON",
        raw(
            "IF",
            List.of(
                "\"left_node\":" + sql("SELECT 1"),
                "\"right_node\":" + sql("SELECT 2"),
                "\"condition_node\":" + sql("SELECT true"),
                "\"query\":\"not json\"")));
    inputs.put(
        "JOIN config that is not an object",
        raw(
            "JOIN",
            List.of(
                "\"left_node\":" + sql("SELECT 1"),
                "\"right_node\":" + sql("SELECT 2"),
                "\"extra_nodes\":[" + sql("SELECT 3") + "]",
                "\"query\":\"[1]\"")));

    String catalogue = explainEach(inputs);

    assertThat(catalogue).isEqualTo(expected("graph-errors"));
  }

  @Test
  void sqlStatementsStartingWithAKeywordAreDrawnAsOneSqlStep() throws SQLException {
    Map<String, String> inputs = new LinkedHashMap<>();
    for (String keyword :
        List.of(
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
            "WITH",
            "CREATE",
            "ALTER",
            "DROP",
            "CALL",
            "DO",
            "TRUNCATE",
            "GRANT",
            "REVOKE",
            "EXPLAIN")) {
      inputs.put(keyword + " and a space", keyword + " x");
    }
    inputs.put("lower case", "select 1");
    inputs.put("surrounding white space is trimmed", " \n\t SELECT 1 \n ");
    for (String keyword : List.of("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")) {
      inputs.put(keyword + " and a line break", keyword + "\nx");
    }
    inputs.put("ampersand and bar are no DSL markers", "SELECT 1 & 2 | 3");

    String catalogue = explainEach(inputs);

    assertThat(catalogue).isEqualTo(expected("sql-statements"));
  }

  @Test
  void inputThatIsNoIdJsonSqlOrDslReturnsTheHint() throws SQLException {
    List<String> inputs =
        List.of(
            "hello",
            "",
            "  \n ",
            "CREATE\nTABLE t ()",
            "SELECT\t1",
            "SELECT1",
            "a1b2c3d",
            "a1b2c3d4e",
            "{\"query\":\"SELECT 1\"}",
            "{\"node_type\":1}",
            "[" + sql("SELECT 1") + "]");
    Map<String, String> hints = new LinkedHashMap<>();
    for (String input : inputs) {
      hints.put(input, expected("hint"));
    }

    Map<String, String> outputs = new LinkedHashMap<>();
    for (String input : inputs) {
      outputs.put(input, explain(alice, input));
    }

    assertThat(outputs).isEqualTo(hints);
  }

  @Test
  void eightHexDigitsSelectLiveModeForAnUnknownId() throws SQLException {
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("lower case", "deadbeef");
    inputs.put("digits only", "12345678");
    inputs.put("upper case is not changed", "DEADBEEF");
    inputs.put("surrounded by white space", "  0badc0de\n");

    String catalogue = explainEach(inputs);

    assertThat(catalogue).isEqualTo(expected("unknown-ids"));
  }

  @Test
  void dslExpressionsAreEvaluatedAndTheirResultDrawn() throws SQLException {
    Queries.execute(alice, "SET search_path = \"$user\", public, df");
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("operator on the caller's search_path", "'SELECT 1' ~> df.sql('SELECT 2')");
    inputs.put("qualified operator", "'SELECT 1' OPERATOR(df.~>) 'SELECT 2'");
    inputs.put("function", " df.seq('SELECT 1', df.seq('SELECT 2', 'SELECT 3')) ");
    inputs.put("text that is no Durofut is one SQL step", "'df.' || 'not a node'");
    inputs.put("a graph error in the result", "replace(df.sql('SELECT 1'), 'SQL', 'NOPE')");
    inputs.put("NULL", "df.sql(NULL)");
    inputs.put("no row", "df.sql('x') WHERE false");
    inputs.put("unknown function", "df.no_such_function()");
    inputs.put("syntax error", "df.sql('x'");
    inputs.put("raised error", "df.seq('SELECT 1', 1 / 0 || '')");
    inputs.put("a second statement", "df.sql('x'); SELECT 1");

    String catalogue = explainEach(inputs);

    assertThat(catalogue).isEqualTo(expected("dsl-expressions"));
  }

  @Test
  void dslExpressionsNeedTheDfOperatorsOnTheCallersSearchPath() throws SQLException {
    Queries.execute(alice, "SET search_path = \"$user\", public");

    String drawing = explain(alice, "'SELECT 1' ~> df.sql('SELECT 2')");

    assertThat(drawing)
        .isEqualTo("Failed to evaluate expression: operator does not exist: unknown ~> text");
  }

  @Test
  void evaluationLeavesTheCallersSearchPathAsItWas() throws SQLException {
    Queries.execute(alice, "SET search_path = public, df");

    explain(alice, "df.sql('SELECT 1')");
    explain(alice, "df.no_such_function()");
    String searchPath = Queries.text(alice, "SHOW search_path");

    assertThat(searchPath).isEqualTo("public, df");
  }

  @Test
  void dslExpressionsAreEvaluatedWithTheCallersPrivileges() throws SQLException {
    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      Queries.execute(postgres.dataSource(), "CREATE TABLE public.flows (durofut text)");
      Queries.execute(
          postgres.dataSource(), "INSERT INTO public.flows VALUES (?)", sql("SELECT 42"));
      Queries.execute(postgres.dataSource(), "GRANT SELECT ON public.flows TO alice");

      String forAlice = explain(alice, "df.seq((SELECT durofut FROM public.flows), 'SELECT 43')");
      String forBob = explain(bob, "df.seq((SELECT durofut FROM public.flows), 'SELECT 43')");

      assertThat(forAlice.lines().map(String::stripTrailing))
          .containsExactly("SQL: SELECT 42", "→ SQL: SELECT 43");
      assertThat(forBob)
          .isEqualTo("Failed to evaluate expression: permission denied for table flows");
    }
  }

  @Test
  void aSecondStatementInAnExpressionNeverRuns() throws SQLException {
    Queries.execute(postgres.dataSource(), "CREATE TABLE public.kept (x int)");
    Queries.execute(postgres.dataSource(), "GRANT ALL ON public.kept TO alice");

    String drawing = explain(alice, "df.sql('x'); DROP TABLE public.kept");

    assertThat(drawing)
        .isEqualTo("Failed to evaluate expression: cannot open multi-query plan as cursor");
    assertThat(Queries.text(postgres.dataSource(), "SELECT to_regclass('public.kept')::text"))
        .isEqualTo("kept");
  }

  @Test
  void dryRunsWriteNoRows() throws SQLException {
    explain(alice, SPEC_EXAMPLE);
    explain(alice, "SELECT 1");
    explain(alice, "df.seq('SELECT 1', 'SELECT 2')");

    long rows =
        Queries.number(
            postgres.dataSource(),
            "SELECT (SELECT count(*) FROM df.instances) + (SELECT count(*) FROM df.nodes)");

    assertThat(rows).isZero();
  }

  @Test
  void nullInputGivesNull() throws SQLException {
    String drawing = Queries.text(alice, "SELECT df.explain(NULL)");

    assertThat(drawing).isNull();
  }

  /** Per case its name after "## " and the drawing of its input, separated by blank lines. */
  private String explainEach(Map<String, String> inputs) throws SQLException {
    List<String> entries = new ArrayList<>();
    for (Map.Entry<String, String> input : inputs.entrySet()) {
      entries.add("## " + input.getKey() + "\n" + explain(alice, input.getValue()));
    }
    return String.join("\n\n", entries);
  }
}
