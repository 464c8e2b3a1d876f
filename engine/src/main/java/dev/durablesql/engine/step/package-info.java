/** Running SQL steps as the submitting role, each with its checkpoint in the same transaction. */
package dev.durablesql.engine.step;
