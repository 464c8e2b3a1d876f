/** Deleting finished instances after their retention period (R-OPS-5). */
package dev.durablesql.engine.retention;
