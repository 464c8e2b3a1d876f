/**
 * OpenTelemetry tracing of workflow instances and their steps, exported over OTLP when an endpoint
 * is configured, and the trace context handed to SQL steps and HTTP calls.
 */
package dev.durablesql.engine.tracing;
