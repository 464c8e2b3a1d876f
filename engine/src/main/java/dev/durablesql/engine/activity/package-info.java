/**
 * Activities: finding them (built in on the engine's class path, or one jar per isolated {@link
 * dev.durablesql.engine.activity.PluginClassLoader} in the plugins folder) into an {@link
 * dev.durablesql.engine.activity.ActivityCatalog}, and what the engine gives them to run.
 */
package dev.durablesql.engine.activity;
