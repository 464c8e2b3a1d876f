/**
 * Built-in activities that talk HTTP: {@code http} and {@code http_multipart} (SPEC.md §11) and
 * {@code embed} (R-EXT-5), on {@code java.net.http}, behind the SSRF guard and the host policy of
 * R-DIFF-8. Empty in the foundation; the activity-plugins issue fills it.
 */
package dev.durablesql.activities.http;
