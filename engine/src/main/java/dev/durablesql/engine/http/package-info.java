/**
 * The engine's HTTP server: {@code /health/live}, {@code /health/ready}, {@code /metrics} and the
 * dashboard (static pages, a JSON API under {@code /api}, sign-in and sessions). Internal: the
 * public classes are for the CLI and tests.
 */
package dev.durablesql.engine.http;
