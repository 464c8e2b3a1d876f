package dev.durablesql.engine.docs;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.engine.Engine;
import dev.durablesql.engine.activity.ActivitySettings;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.StubServer;
import dev.durablesql.engine.testing.StubServer.Reply;
import dev.durablesql.engine.testing.Workflows;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs every script in docs/examples the way its header says a user runs it: with the real {@code
 * psql}, as a role with df usage, against a database with a running engine. The engine's HTTP and
 * embeddings endpoints are a local stub server; the runbook's approval is sent from here, as a
 * second session would.
 */
class ExamplesTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration SCRIPT_TIME_LIMIT = Duration.ofMinutes(3);
  private static final String JSON_TYPE = "application/json";
  private static final Map<Process, Path> outputs = new ConcurrentHashMap<>();
  private static Workflows workflows;
  private static StubServer server;
  private static Engine engine;

  @BeforeAll
  static void start() throws Exception {
    workflows = new Workflows(postgres);
    // What each script's header asks the superuser to grant: df.http for df.http and df.embed.
    workflows.executeAsSuperuser("SELECT df.grant_usage('alice', include_http => true)");
    server = new StubServer();
    server.script(
        "/v1/embeddings",
        Reply.of(
                200,
                "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                    + "\"embedding\":[0.5,0.25,-1]}],\"model\":\"tiny-embed\","
                    + "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}")
            .withHeader("Content-Type", JSON_TYPE));
    server.script("/hooks/dba", Reply.of(200, "ok"));
    server.script("/companies/acme.example", company("Anvils", 120));
    // One transient failure: df.retry in the script must ride it out.
    server.script(
        "/companies/globex.example",
        Reply.of(503, "{\"error\":\"busy\"}").withHeader("Content-Type", JSON_TYPE),
        company("Energy", 5000));
    server.script("/companies/initech.example", company("Software", 300));
    server.script(
        "/companies/unknown.example",
        Reply.of(404, "{\"error\":\"unknown domain\"}").withHeader("Content-Type", JSON_TYPE));
    engine =
        Engine.start(
            postgres
                .engineConfig("examples-engine")
                .withActivities(
                    ActivitySettings.defaults()
                        .withValue("http.policy", "allow-all")
                        .withValue("embed.base-url", server.baseUrl())
                        .withValue("embed.model", "tiny-embed")));
  }

  @AfterAll
  static void stop() {
    engine.close();
    server.close();
  }

  private static Reply company(String industry, int employees) {
    return Reply.of(200, "{\"industry\":\"" + industry + "\",\"employees\":" + employees + "}")
        .withHeader("Content-Type", JSON_TYPE);
  }

  @Test
  void embeddingPipelineStoresAVectorForEveryChunk() throws Exception {
    String output = runToEnd("embedding-pipeline.sql", Map.of());

    assertThat(output).contains("completed").contains("(5 rows)").contains("0.5,0.25,-1");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*) FROM public.emb_chunks WHERE embedding IS NOT NULL"))
        .isEqualTo("5");
    assertThat(server.requests("/v1/embeddings")).hasSize(5);
  }

  @Test
  void ingestPipelineDedupesAndPublishesInBatches() throws Exception {
    String output = runToEnd("ingest-pipeline.sql", Map.of());

    assertThat(output)
        .contains("completed")
        .contains("\"published\": 230")
        .contains("\"rejected\": 3")
        .contains("\"duplicates_removed\": 70");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(rows_published::text, ',' ORDER BY batch_no)"
                    + " FROM public.ingest_batches"))
        .isEqualTo("100,100,30");
  }

  @Test
  void fanoutAggregationReportsEveryRegion() throws Exception {
    String output = runToEnd("fanout-aggregation.sql", Map.of());

    assertThat(output).contains("completed").contains("(4 rows)");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT count(*) || ' ' || sum(orders) || ' ' || round(sum(share_pct))"
                    + " FROM public.fanout_report"))
        .isEqualTo("4 1000 100");
  }

  @Test
  void apiEnrichmentWritesEveryAnswerBack() throws Exception {
    String output = runToEnd("api-enrichment.sql", Map.of("api_url", server.baseUrl()));

    assertThat(output)
        .contains("completed")
        .contains("{\"rows\": [{\"enriched\": 3, \"not_found\": 1}], \"row_count\": 1}")
        .contains("Energy");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(coalesce(industry, '-') || '/' || http_status, ','"
                    + " ORDER BY id) FROM public.enrich_companies"))
        .isEqualTo("Anvils/200,Energy/200,Software/200,-/404");
    assertThat(server.requests("/companies/globex.example")).hasSize(2);
  }

  @Test
  void maintenanceRunbookVacuumsOnceApproved() throws Exception {
    Process psql =
        startPsql(
            "maintenance-runbook.sql", Map.of("webhook_url", server.baseUrl() + "/hooks/dba"));

    // A human reads the webhook's message and approves, from another session.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> !server.requests("/hooks/dba").isEmpty() || !psql.isAlive());
    assertThat(server.requests("/hooks/dba")).as(() -> outputOf(psql)).hasSize(1);
    JsonNode message = JSON.readTree(server.requests("/hooks/dba").getFirst().body());
    assertThat(message.get("text").asText()).contains("runbook_bloat has 20000 dead rows");
    try (Connection alice = postgres.connectAs(ALICE);
        PreparedStatement signal =
            alice.prepareStatement("SELECT df.signal(?, 'approval', '{\"approved\": true}')")) {
      signal.setString(1, message.get("instance").asText());
      signal.execute();
    }
    String output = finish(psql);

    assertThat(output).contains("completed").contains("vacuumed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(event, ',' ORDER BY id) FROM public.runbook_log"))
        .isEqualTo("detected,notified,approved,vacuumed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT n_dead_tup FROM pg_stat_user_tables"
                    + " WHERE relid = 'public.runbook_bloat'::regclass"))
        .isEqualTo("0");
  }

  @Test
  void maintenanceRunbookWithoutWebhookLeavesTheTableAloneWhenRejected() throws Exception {
    Set<String> earlier = new HashSet<>(runbookInstances());
    Process psql = startPsql("maintenance-runbook.sql", Map.of());

    // The instance id is printed and sent with pg_notify; here we look it up by its label.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> !earlier.containsAll(runbookInstances()) || !psql.isAlive());
    List<String> started = new ArrayList<>(runbookInstances());
    started.removeAll(earlier);
    assertThat(started).as(() -> outputOf(psql)).hasSize(1);
    try (Connection alice = postgres.connectAs(ALICE);
        PreparedStatement signal =
            alice.prepareStatement("SELECT df.signal(?, 'approval', '{\"approved\": false}')")) {
      signal.setString(1, started.getFirst());
      signal.execute();
    }
    String output = finish(psql);

    assertThat(output).contains("completed").contains("not approved");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT string_agg(event, ',' ORDER BY id) FROM public.runbook_log"))
        .isEqualTo("detected,notified,not approved");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT n_dead_tup FROM pg_stat_user_tables"
                    + " WHERE relid = 'public.runbook_bloat'::regclass"))
        .isEqualTo("20000");
  }

  private static List<String> runbookInstances() throws Exception {
    String ids =
        workflows.queryAsSuperuser(
            "SELECT string_agg(id, ',') FROM df.instances WHERE label = 'maintenance-runbook'");
    return ids == null ? List.of() : List.of(ids.split(","));
  }

  /**
   * Runs the script to its end; returns what psql printed (stdout and stderr) and, after it, the
   * errors of the failed nodes of the script's instances (labelled with the script's name), if any.
   */
  private static String runToEnd(String script, Map<String, String> variables) throws Exception {
    return finish(startPsql(script, variables)) + failedNodes(script.replace(".sql", ""));
  }

  private static String failedNodes(String label) throws Exception {
    String failures =
        workflows.queryAsSuperuser(
            "SELECT string_agg(n.node_type || ' ' || n.id || ': ' || n.result::text, E'\\n')"
                + " FROM df.nodes n JOIN df.instances i ON i.id = n.instance_id"
                + " WHERE i.label = ? AND n.status = 'failed'",
            label);
    return failures == null ? "" : "\n-- failed nodes:\n" + failures;
  }

  private static String finish(Process psql) throws Exception {
    boolean ended = psql.waitFor(SCRIPT_TIME_LIMIT.toSeconds(), TimeUnit.SECONDS);
    if (!ended) {
      psql.destroyForcibly().waitFor();
    }
    String output = outputOf(psql);
    assertThat(ended).as("psql still running after %s:%n%s", SCRIPT_TIME_LIMIT, output).isTrue();
    assertThat(psql.exitValue()).as("psql exit code; it printed:%n%s", output).isZero();
    return output;
  }

  /** psql -f script as alice, ON_ERROR_STOP, with -v for each variable; output to a file. */
  private static Process startPsql(String script, Map<String, String> variables)
      throws IOException {
    URI database = URI.create(postgres.jdbcUrl().substring("jdbc:".length()));
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            psql(),
            "--no-psqlrc",
            "--set=ON_ERROR_STOP=1",
            "--host=" + database.getHost(),
            "--port=" + database.getPort(),
            "--username=" + ALICE,
            "--dbname=" + postgres.databaseName()));
    variables.forEach((name, value) -> command.add("--set=" + name + "=" + value));
    command.add("--file=" + examples().resolve(script));
    Path output = Files.createTempFile("example-" + script, ".out");
    output.toFile().deleteOnExit();
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    // Only what the command line says: no PGPASSWORD, PGOPTIONS, PGSERVICE ... from outside.
    builder.environment().keySet().removeIf(name -> name.startsWith("PG"));
    Process process = builder.start();
    outputs.put(process, output);
    return process;
  }

  private static String outputOf(Process psql) {
    try {
      return Files.readString(outputs.get(psql), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read psql's output: " + e + ")";
    }
  }

  /** The psql binary: $PSQL, else the first psql on the PATH, else /usr/bin/psql. */
  private static String psql() {
    String configured = System.getenv("PSQL");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    for (String directory :
        System.getenv().getOrDefault("PATH", "").split(File.pathSeparator, -1)) {
      Path candidate = Path.of(directory, "psql");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return "/usr/bin/psql";
  }

  /** docs/examples of this checkout, found from the working directory upwards. */
  private static Path examples() {
    for (Path directory = Path.of("").toAbsolutePath();
        directory != null;
        directory = directory.getParent()) {
      Path candidate = directory.resolve("docs").resolve("examples");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "no docs/examples above " + Path.of("").toAbsolutePath() + ": run from the checkout");
  }
}
