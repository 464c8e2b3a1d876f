/** The engine's HTTP endpoints; for now only health (the dashboard issue brings the rest). */
package dev.durablesql.engine.http;
