/** Reads and writes instance state in the df and df_engine tables for the engine. */
package dev.durablesql.engine.store;
