/**
 * The {@code durable} command line: up, postgres, engine, install, sql, config, plugins, bench, and
 * the monitoring commands list, show, await, signal, cancel and logs.
 */
package dev.durablesql.engine.cli;
