/** Dispatching claimed instances onto virtual threads and walking their graphs. */
package dev.durablesql.engine.run;
