/**
 * The engine's own metrics beyond those its parts record as they work: gauges read from the
 * database, and the tags of connection pool metrics. Internal.
 */
package dev.durablesql.engine.metrics;
