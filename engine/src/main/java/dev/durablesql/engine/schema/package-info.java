/** Installs and upgrades the df schema from the migration files of the sql module. */
package dev.durablesql.engine.schema;
