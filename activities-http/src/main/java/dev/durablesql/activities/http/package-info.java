/**
 * HTTP steps ({@code df.http}, {@code df.http_multipart}; SPEC.md §11 with R-DIFF-2 and R-DIFF-8)
 * on {@code java.net.http}, behind the deployment's {@link
 * dev.durablesql.activities.http.HostPolicy} and the SSRF address guard.
 *
 * <p>Entry point: {@link dev.durablesql.activities.http.HttpStep}, built once from {@link
 * dev.durablesql.activities.http.HttpSettings}, runs one attempt of an {@link
 * dev.durablesql.activities.http.HttpCall} and returns an {@link
 * dev.durablesql.activities.http.HttpOutcome}: completed with an {@link
 * dev.durablesql.activities.http.HttpEnvelope}, failed, or transient. Everything else is
 * package-private. The engine keeps the privilege check (gate 1 of R-HTTP-4), substitution and
 * retries.
 */
package dev.durablesql.activities.http;
