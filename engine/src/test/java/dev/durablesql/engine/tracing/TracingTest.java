package dev.durablesql.engine.tracing;

import static dev.durablesql.engine.testing.PostgresExtension.ALICE;
import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.activity.ActivitySettings;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.StubServer;
import dev.durablesql.engine.testing.StubServer.Reply;
import dev.durablesql.engine.testing.Workflows;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * OpenTelemetry spans per instance and per step, and the trace context a step carries into
 * PostgreSQL (a SQL comment and application_name) and into HTTP calls (traceparent).
 */
class TracingTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  private static Workflows workflows;

  @BeforeAll
  static void grant() throws Exception {
    workflows = new Workflows(postgres);
    workflows.executeAsSuperuser(
        "GRANT EXECUTE ON FUNCTION df.http(text,text,text,jsonb,integer) TO alice");
  }

  @Test
  void aRunHasAnInstanceSpanWithOneChildPerStepAndTheContextReachesSqlAndHttp() throws Exception {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .build();
    try (StubServer server = new StubServer()) {
      server.script("/traced", Reply.of(200, "ok"));
      String id;
      try (Engine engine =
          Engine.start(
              postgres
                  .engineConfig("tracing-engine")
                  .withActivities(
                      ActivitySettings.defaults().withValue("http.policy", "allow-all")),
              Tracing.of(sdk))) {
        id =
            workflows.start(
                ALICE,
                "df.seq(df.as('SELECT current_query() AS query,"
                    + " current_setting(''application_name'') AS app', 'seen'), df.http("
                    + literal(server.baseUrl() + "/traced")
                    + ", 'GET'))");
        assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
        Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> exporter.getFinishedSpanItems().size() >= 3);
      }

      List<SpanData> spans = exporter.getFinishedSpanItems();
      SpanData instance =
          spans.stream()
              .filter(s -> s.getName().equals("instance " + id))
              .findFirst()
              .orElseThrow();
      List<SpanData> steps =
          spans.stream().filter(s -> s.getParentSpanId().equals(instance.getSpanId())).toList();
      assertThat(steps).extracting(SpanData::getName).anyMatch(n -> n.startsWith("sql "));
      assertThat(steps).extracting(SpanData::getName).anyMatch(n -> n.startsWith("http "));
      assertThat(instance.getAttributes().get(Tracing.OUTCOME)).isEqualTo("completed");
      String traceId = instance.getTraceId();

      String seen =
          workflows.queryAsSuperuser(
              "SELECT result::text FROM df.nodes WHERE instance_id = ? AND node_type = 'SQL'", id);
      assertThat(seen)
          .contains("/* traceparent='00-" + traceId)
          .contains("durable-sql trace=" + traceId);
      assertThat(server.requests("/traced").getLast().headers().get("traceparent"))
          .startsWith("00-" + traceId + "-");
    }
  }

  @Test
  void spansAreExportedOverOtlpWhenAnEndpointIsConfigured() throws Exception {
    try (StubServer collector = new StubServer()) {
      collector.script("/v1/traces", Reply.of(200, ""));
      try (Engine engine =
          Engine.start(
              postgres.engineConfig("otlp-engine"),
              Tracing.otlp(Optional.of(collector.baseUrl() + "/v1/traces"), "durable-sql-test"))) {
        String id = workflows.start(ALICE, "'SELECT 1'");
        assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
      } // closing the engine flushes the batch

      assertThat(collector.requests("/v1/traces")).isNotEmpty();
      assertThat(collector.requests("/v1/traces").getFirst().headers().get("content-type"))
          .isEqualTo("application/x-protobuf");
    }
  }

  @Test
  void withoutTracingStepsRunTheirStatementAsWritten() throws Exception {
    try (Engine engine = Engine.start(postgres.engineConfig("untraced-engine"))) {
      String id = workflows.start(ALICE, "'SELECT current_query() AS query'");
      assertThat(workflows.awaitTerminal(id)).isEqualTo("completed");
      assertThat(workflows.result(id)).doesNotContain("traceparent");
    }
  }
}
