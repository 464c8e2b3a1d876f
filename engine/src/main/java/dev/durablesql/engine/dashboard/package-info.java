/**
 * What the dashboard shows and does, as SQL run logged in as the signed-in role: instances with
 * filters and counts, one instance's nodes, attempts and events, signal and cancel. RLS on the df
 * tables decides what each role sees (docs/dashboard.md).
 */
package dev.durablesql.engine.dashboard;
