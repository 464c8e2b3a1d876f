/**
 * Configuration of durable-sql: the catalogue of settings, loading them from defaults, a properties
 * file, the environment and {@code --set} flags, and the {@code durable config} report. Internal to
 * the engine.
 */
package dev.durablesql.engine.config;
