/** The {@code durable} command line: up, postgres, engine, install, sql, config. */
package dev.durablesql.engine.cli;
