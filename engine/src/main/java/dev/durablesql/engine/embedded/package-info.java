/**
 * Runs the PostgreSQL 17 server behind {@code durable up}: a real cluster from the zonky binaries,
 * kept in a data directory between runs. Internal; the CLI is its only user.
 */
package dev.durablesql.engine.embedded;
