/**
 * The service-provider interface of durable-sql: every kind of workflow step that does external
 * work is an {@link dev.durablesql.activity.Activity}, found by the engine through {@link
 * java.util.ServiceLoader}, built in or dropped into the plugins folder as a jar. This package
 * depends on the JDK only and only ever grows, by {@code default} methods.
 */
package dev.durablesql.activity;
