package dev.durablesql.engine.activity;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.PostgresExtension.BOB;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.durablesql.engine.Engine;
import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.StubServer;
import dev.durablesql.engine.testing.StubServer.Reply;
import dev.durablesql.engine.testing.Workflows;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * df.embed end to end (R-EXT-5): the engine's embed settings, a stubbed OpenAI-compatible endpoint,
 * single and batch input, storing vectors from SQL, the privilege gate, and an API key that never
 * reaches df.nodes or the errors.
 */
class EmbedStepTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "sk-test-0123456789abcdef";
  private static Workflows workflows;
  private static StubServer server;
  private static Engine engine;

  @BeforeAll
  static void start() throws Exception {
    workflows = new Workflows(postgres);
    workflows.executeAsSuperuser(
        "GRANT EXECUTE ON FUNCTION df.http(text,text,text,jsonb,integer) TO alice;"
            + " CREATE TABLE public.chunks (id int PRIMARY KEY, body text, embedding float8[]);"
            + " GRANT ALL ON public.chunks TO alice;"
            + " INSERT INTO public.chunks (id, body) VALUES (1, 'alpha'), (2, 'beta');");
    server = new StubServer();
    engine =
        Engine.start(
            postgres
                .engineConfig("embed-engine")
                .withRetries(
                    new EngineConfig.Retries(2, Duration.ofMillis(10), Duration.ofMillis(50)))
                .withActivities(
                    ActivitySettings.defaults()
                        .withValue("embed.base-url", server.baseUrl())
                        .withValue("embed.api-key", KEY)
                        .withValue("embed.model", "tiny-embed")));
  }

  @AfterAll
  static void stop() {
    engine.close();
    server.close();
  }

  private static Reply vectors(int count) {
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < count; i++) {
      data.append(i == 0 ? "" : ",")
          .append("{\"object\":\"embedding\",\"index\":")
          .append(i)
          .append(",\"embedding\":[")
          .append(i)
          .append(".5,0.25,-1]}");
    }
    return Reply.of(
        200,
        "{\"object\":\"list\",\"data\":["
            + data
            + "],\"model\":\"tiny-embed\",\"usage\":{\"prompt_tokens\":"
            + count * 3
            + ",\"total_tokens\":"
            + count * 3
            + "}}");
  }

  private static String everythingStoredAbout(String id) throws Exception {
    return workflows.queryAsSuperuser(
        "SELECT coalesce(string_agg(coalesce(query, '') || ' ' || coalesce(result::text, ''), ' '),"
            + " '') || ' ' || coalesce((SELECT string_agg(coalesce(last_error, ''), ' ')"
            + " FROM df_engine.node_attempts WHERE instance_id = ?), '')"
            + " FROM df.nodes WHERE instance_id = ?",
        id,
        id);
  }

  @Test
  void aSingleTextIsEmbeddedAndItsVectorStoredFromSql() throws Exception {
    server.script("/v1/embeddings", vectors(1));

    String id =
        workflows.start(
            ALICE,
            "df.seq(df.as(df.embed('alpha'), 'e'), 'UPDATE public.chunks SET embedding ="
                + " ARRAY(SELECT jsonb_array_elements_text(($e.embeddings)::jsonb -> 0))::float8[]"
                + " WHERE id = 1')");

    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    JsonNode result =
        JSON.readTree(
            workflows.queryAsSuperuser(
                "SELECT result::text FROM df.nodes WHERE instance_id = ? AND node_type = 'ACTIVITY'",
                id));
    assertThat(result.get("model").asText()).isEqualTo("tiny-embed");
    assertThat(result.get("dimensions").asInt()).isEqualTo(3);
    assertThat(result.get("embeddings")).hasSize(1);
    assertThat(result.get("usage").get("total_tokens").asInt()).isEqualTo(3);
    assertThat(workflows.queryAsSuperuser("SELECT embedding::text FROM public.chunks WHERE id = 1"))
        .isEqualTo("{0.5,0.25,-1}");
    StubServer.Request request = server.requests("/v1/embeddings").getLast();
    assertThat(request.headers().get("authorization")).isEqualTo("Bearer " + KEY);
    assertThat(JSON.readTree(request.body()).get("input").asText()).isEqualTo("alpha");
    assertThat(everythingStoredAbout(id)).doesNotContain(KEY);
  }

  @Test
  void aBatchFromAnEarlierStepIsEmbeddedInOneCallInInputOrder() throws Exception {
    server.script("/v1/embeddings", vectors(2));

    String id =
        workflows.start(
            ALICE,
            "df.seq(df.as('SELECT jsonb_agg(body ORDER BY id) AS texts FROM public.chunks', 'c'),"
                + " df.embed('$c.texts', 'tiny-embed', '{\"dimensions\": 3}'))");

    assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
    JsonNode result = JSON.readTree(workflows.result(id));
    assertThat(result.get("embeddings")).hasSize(2);
    assertThat(result.get("embeddings").get(1).get(0).asDouble()).isEqualTo(1.5);
    JsonNode sent = JSON.readTree(server.requests("/v1/embeddings").getLast().body());
    assertThat(sent.get("input").toString()).isEqualTo("[\"alpha\",\"beta\"]");
    assertThat(sent.get("dimensions").asInt()).isEqualTo(3);
  }

  @Test
  void aRefusedKeyFailsTheNodeWithoutShowingTheKey() throws Exception {
    server.script(
        "/v1/embeddings",
        Reply.of(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\"}}"));

    String id = workflows.start(ALICE, "df.embed('alpha')");

    assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    String stored = everythingStoredAbout(id);
    assertThat(stored).contains("401").doesNotContain(KEY);
  }

  @Test
  void aRoleThatMayNotCallHttpMayNotEmbed() throws Exception {
    int before = server.requests("/v1/embeddings").size();

    String id = workflows.start(BOB, "df.embed('alpha')");

    assertThat(workflows.awaitTerminal(id)).isEqualTo("failed");
    assertThat(everythingStoredAbout(id)).contains("does not have EXECUTE privilege");
    assertThat(server.requests("/v1/embeddings")).hasSize(before);
  }
}
