/**
 * Substituting variables and named results into step text (SPEC §8) and deciding whether a result
 * counts as true (R-EXEC-24). Pure functions of their inputs: no database, no clock.
 */
package dev.durablesql.engine.substitution;
