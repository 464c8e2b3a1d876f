/**
 * The durable-sql engine's API: {@link dev.durablesql.engine.Engine} runs workflows of one database
 * and {@link dev.durablesql.engine.EngineConfig} configures it. Everything in sub-packages is
 * internal, even where it is public.
 */
package dev.durablesql.engine;
