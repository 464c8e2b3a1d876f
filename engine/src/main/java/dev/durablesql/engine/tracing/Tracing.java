package dev.durablesql.engine.tracing;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.util.Map;
import java.util.Optional;

/**
 * Spans for the engine: one per run of an instance (from claim to its end or suspension) and one
 * per step under it. Off unless an OTLP endpoint is configured; then every method costs nothing but
 * the span itself. The trace context of a step reaches the outside as a W3C {@code traceparent}: a
 * comment in front of a SQL step's statement and in its session's {@code application_name}, and an
 * HTTP header of HTTP steps.
 */
public final class Tracing implements AutoCloseable {
  static final AttributeKey<String> INSTANCE = AttributeKey.stringKey("durable.instance.id");
  static final AttributeKey<String> NODE = AttributeKey.stringKey("durable.node.id");
  static final AttributeKey<String> NODE_TYPE = AttributeKey.stringKey("durable.node.type");
  static final AttributeKey<String> ROLE = AttributeKey.stringKey("durable.role");
  static final AttributeKey<Long> EPOCH = AttributeKey.longKey("durable.claim.epoch");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("durable.outcome");

  private static final Tracing OFF = new Tracing(OpenTelemetry.noop(), null);

  private final Tracer tracer;
  private final OpenTelemetrySdk owned;

  private Tracing(OpenTelemetry openTelemetry, OpenTelemetrySdk owned) {
    this.tracer = openTelemetry.getTracer("dev.durablesql.engine");
    this.owned = owned;
  }

  /** No tracing. */
  public static Tracing off() {
    return OFF;
  }

  /** Spans through {@code openTelemetry}, which the caller owns (tests use an in-memory SDK). */
  public static Tracing of(OpenTelemetry openTelemetry) {
    return new Tracing(requireNonNull(openTelemetry, "openTelemetry is null"), null);
  }

  /**
   * Spans exported in batches over OTLP/HTTP to {@code endpoint} (e.g. {@code
   * http://collector:4318/v1/traces}), or none when it is empty.
   */
  public static Tracing otlp(Optional<String> endpoint, String serviceName) {
    if (endpoint.isEmpty() || endpoint.get().isBlank()) {
      return OFF;
    }
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .setResource(
                Resource.getDefault()
                    .merge(
                        Resource.create(
                            Attributes.of(AttributeKey.stringKey("service.name"), serviceName))))
            .addSpanProcessor(
                BatchSpanProcessor.builder(
                        OtlpHttpSpanExporter.builder().setEndpoint(endpoint.get().strip()).build())
                    .build())
            .build();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
    return new Tracing(sdk, sdk);
  }

  /** Starts the span of one run of an instance; end it with {@link #end}. */
  public Span startInstance(String instanceId, String role, long epoch) {
    return tracer
        .spanBuilder("instance " + instanceId)
        .setSpanKind(SpanKind.INTERNAL)
        .setNoParent()
        .setAttribute(INSTANCE, instanceId)
        .setAttribute(ROLE, role)
        .setAttribute(EPOCH, epoch)
        .startSpan();
  }

  /** Starts the span of one step under {@code parent}. */
  public Span startStep(Span parent, String instanceId, String nodeId, String nodeType) {
    return tracer
        .spanBuilder(nodeType.toLowerCase(java.util.Locale.ROOT) + " " + nodeId)
        .setSpanKind(nodeType.equals("SQL") ? SpanKind.CLIENT : SpanKind.INTERNAL)
        .setParent(Context.root().with(parent))
        .setAttribute(INSTANCE, instanceId)
        .setAttribute(NODE, nodeId)
        .setAttribute(NODE_TYPE, nodeType)
        .startSpan();
  }

  /** Ends {@code span}, marking it failed with {@code error} when there is one. */
  public static void end(Span span, String outcome, Optional<String> error) {
    span.setAttribute(OUTCOME, outcome);
    error.ifPresent(message -> span.setStatus(StatusCode.ERROR, message));
    span.end();
  }

  /** The W3C {@code traceparent} of {@code span}, empty when it is not recorded. */
  public static Optional<String> traceparent(Span span) {
    SpanContext context = span.getSpanContext();
    if (!context.isValid()) {
      return Optional.empty();
    }
    return Optional.of(
        "00-"
            + context.getTraceId()
            + "-"
            + context.getSpanId()
            + "-"
            + context.getTraceFlags().asHex());
  }

  /** The headers an HTTP step sends for {@code span}: {@code traceparent}, when tracing is on. */
  public static Map<String, String> headers(Span span) {
    return traceparent(span).map(value -> Map.of("traceparent", value)).orElse(Map.of());
  }

  /** Flushes and stops the exporter this object created, if any. */
  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }
}
