/**
 * The built-in {@code sql} activity: runs a step's SQL as the submitting role and turns the rows it
 * returns into the result JSON of SPEC.md R-RES-1 and R-DIFF-5 ({@link
 * dev.durablesql.activities.sql.RowsEncoder}).
 */
package dev.durablesql.activities.sql;
