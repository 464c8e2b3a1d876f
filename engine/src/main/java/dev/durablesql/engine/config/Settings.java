package dev.durablesql.engine.config;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The catalogue of settings, in the order {@code durable config} and the docs list them. A setting
 * is found by any of its spellings: the canonical kebab-case name ({@code max-user-connections}),
 * the pg_durable underscore name ({@code max_user_connections}) and either with the {@code
 * pg_durable.} prefix.
 */
public final class Settings {
  private static final String PG_DURABLE_PREFIX = "pg_durable.";

  // Adding a setting is one entry here, plus its row in docs/configuration.md and its line in
  // ConfigTest.pinsEveryDefault; ConfigurationDocsTest fails until the docs row exists.
  private static final Settings STANDARD =
      new Settings(
          List.of(
              Setting.text(
                  "url", null, "JDBC URL of the PostgreSQL database that holds the df schema."),
              Setting.text(
                  "user",
                  null,
                  "Role the engine logs in as for management work; it owns the df schema."),
              Setting.secret(
                  "password", "Password of that role; unset means pgpass, trust or peer."),
              Setting.text(
                  "role-secrets-dir",
                  null,
                  "Folder with one file per submitting role holding its password; unset means"
                      + " pgpass, trust or peer."),
              Setting.flag(
                  "install-schema", true, "Apply pending df schema migrations when starting."),
              Setting.text(
                  "engine-name",
                  null,
                  "Name of this engine in leases and df._worker_epoch; unset means hostname-pid."),
              Setting.integer(
                  "max-concurrent-instances",
                  256,
                  1,
                  100_000,
                  "Most workflow instances this engine runs at once."),
              Setting.integer(
                  "max-user-connections",
                  10,
                  1,
                  1000,
                  "Global cap on connections held by SQL steps, across all roles."),
              // 8: a df.map's default max_parallel, so that its rows run as documented; of the 10
              // global slots, 2 stay free for other roles (docs/performance.md, fourth round).
              Setting.integer(
                  "max-connections-per-role",
                  8,
                  1,
                  1000,
                  "Cap on step connections logged in as any one submitting role."),
              Setting.duration(
                  "execution-acquire-timeout",
                  "30s",
                  "1s",
                  "3600s",
                  "Longest a SQL step waits for a free step connection before its node fails."),
              Setting.integer(
                  "max-management-connections",
                  6,
                  1,
                  1000,
                  "Size of the engine's own pool for claims, heartbeats and checkpoints."),
              Setting.duration(
                  "lease-duration",
                  "10s",
                  "1s",
                  "1h",
                  "How long a claimed instance stays owned without a heartbeat."),
              Setting.duration(
                  "heartbeat-interval",
                  "3s",
                  "100ms",
                  "1h",
                  "How often the engine renews its leases; at most half of lease-duration."),
              Setting.duration(
                  "poll-interval",
                  "1s",
                  "10ms",
                  "1h",
                  "How often an idle engine looks for work when no notification arrives."),
              Setting.integer(
                  "claim-batch-size",
                  32,
                  1,
                  10_000,
                  "Most instances taken by one claim statement."),
              Setting.duration(
                  "shutdown-grace-period",
                  "5s",
                  "0s",
                  "1h",
                  "How long shutdown waits for running steps before interrupting them."),
              Setting.integer(
                  "retry-max-attempts",
                  3,
                  1,
                  100,
                  "Attempts a step gets in all, the first included, against transient failures."),
              Setting.duration(
                  "retry-initial-delay",
                  "1s",
                  "0s",
                  "1h",
                  "Delay before the first retry; each next delay doubles, with jitter."),
              Setting.duration(
                  "retry-max-delay",
                  "5m",
                  "0s",
                  "1d",
                  "Longest delay between two attempts of a step."),
              Setting.integer(
                  "retention-days",
                  30,
                  0,
                  36_500,
                  "Days a finished instance is kept before retention deletes it."),
              Setting.duration(
                  "reconcile-interval",
                  "1h",
                  "0s",
                  "1d",
                  "How often retention runs; 0 turns it off."),
              Setting.integer(
                  "http-port",
                  0,
                  0,
                  65_535,
                  "Port of the dashboard, /metrics and /health; 0 means no HTTP server."),
              Setting.text("http-bind", "127.0.0.1", "Address the HTTP server listens on."),
              Setting.oneOf(
                  "dashboard.auth",
                  "password",
                  List.of("password", "trusted-header", "off"),
                  "How dashboard users sign in: role and password, a proxy's header, or not at"
                      + " all (loopback only)."),
              Setting.text(
                  "dashboard.trusted-header",
                  null,
                  "Request header naming the signed-in role, set by an authenticating proxy; read"
                      + " only when dashboard.auth is trusted-header."),
              Setting.text(
                  "dashboard.role",
                  null,
                  "Role the dashboard acts as when dashboard.auth is off; durable up uses its"
                      + " demo role."),
              Setting.duration(
                  "dashboard.session-timeout",
                  "30m",
                  "1m",
                  "7d",
                  "How long a dashboard session lasts without a request."),
              Setting.path(
                  "data-dir",
                  "~/.durable-sql/pg17",
                  "Data directory of the embedded PostgreSQL that durable up runs."),
              Setting.integer(
                  "pg-port",
                  55_433,
                  1,
                  65_535,
                  "Port of the embedded PostgreSQL that durable up runs."),
              Setting.oneOf(
                  "log-level",
                  "info",
                  List.of("error", "warn", "info", "debug", "trace"),
                  "Least severe level of log messages that are written."),
              Setting.path(
                  "plugins-dir",
                  "plugins",
                  "Folder of activity plugin jars; relative to the working directory."),
              Setting.duration(
                  "activity-timeout",
                  "5m",
                  "1s",
                  "1d",
                  "Longest one attempt of an activity may take, unless df.timeout is shorter."),
              Setting.oneOf(
                  "http.policy",
                  "allowlist",
                  List.of("disabled", "allowlist", "allow-all"),
                  "Which hosts HTTP steps may call: none, those in http.allowlist, or any."),
              Setting.text(
                  "http.allowlist",
                  null,
                  "Hosts HTTP steps may call: comma-separated host, *.suffix, host:port."),
              Setting.integer(
                  "http.max-response-bytes",
                  10_485_760,
                  1,
                  Integer.MAX_VALUE - 8,
                  "Largest response body an HTTP step accepts; a larger one fails the node."),
              Setting.text(
                  "embed.base-url",
                  null,
                  "Base URL of the OpenAI-compatible embeddings endpoint df.embed calls."),
              Setting.secret("embed.api-key", "API key sent to the embeddings endpoint."),
              Setting.text(
                  "embed.model", null, "Model df.embed uses when the workflow names none."),
              Setting.duration(
                  "embed.timeout",
                  "60s",
                  "1s",
                  "1h",
                  "Time limit of each request to the embeddings endpoint."),
              Setting.integer(
                  "embed.max-batch",
                  256,
                  1,
                  100_000,
                  "Most inputs df.embed sends in one request; bigger batches are split."),
              Setting.integer(
                  "breaker.failure-rate",
                  50,
                  1,
                  100,
                  "Percentage of failed calls to one target that opens its circuit breaker."),
              Setting.integer(
                  "breaker.minimum-calls",
                  10,
                  1,
                  10_000,
                  "Calls to a target before its failure rate can open the breaker."),
              Setting.integer(
                  "breaker.window",
                  20,
                  1,
                  10_000,
                  "Number of recent calls to a target its breaker looks at."),
              Setting.duration(
                  "breaker.open-duration",
                  "30s",
                  "100ms",
                  "1d",
                  "How long an open breaker fails calls fast before it lets trial calls through."),
              Setting.integer(
                  "breaker.half-open-calls",
                  3,
                  1,
                  1_000,
                  "Trial calls a half-open breaker lets through to decide whether to close."),
              Setting.text(
                  "tracing.otlp-endpoint",
                  null,
                  "OTLP/HTTP endpoint spans are exported to; unset means no tracing."),
              Setting.text(
                  "tracing.service-name", "durable-sql", "service.name of the engine's spans.")));

  private final List<Setting> all;
  private final Map<String, Setting> byName;

  /**
   * A catalogue of {@code settings} in this order.
   *
   * @throws IllegalArgumentException when two settings share a name or a default is not a value its
   *     setting accepts
   */
  public Settings(List<Setting> settings) {
    this.all = List.copyOf(requireNonNull(settings, "settings is null"));
    Map<String, Setting> names = new LinkedHashMap<>();
    for (Setting setting : all) {
      if (names.putIfAbsent(setting.name(), setting) != null) {
        throw new IllegalArgumentException("setting " + setting.name() + " is listed twice");
      }
      setting.defaultText().ifPresent(text -> checkDefault(setting, text));
    }
    this.byName = Map.copyOf(names);
  }

  /** The settings of durable-sql. */
  public static Settings standard() {
    return STANDARD;
  }

  /** Every setting, in catalogue order. */
  public List<Setting> all() {
    return all;
  }

  /** The setting spelled {@code spelling} in any accepted way, or empty when there is none. */
  public Optional<Setting> find(String spelling) {
    return Optional.ofNullable(byName.get(canonical(spelling)));
  }

  /**
   * The setting spelled {@code spelling}; {@code where} says where the spelling was found, such as
   * {@code "in --set"}, for the error.
   *
   * @throws ConfigException naming the spelling and the closest known setting when there is none
   */
  Setting require(String spelling, String where) {
    return find(spelling)
        .orElseThrow(() ->
            new ConfigException(
                "unknown setting '"
                    + spelling
                    + "' "
                    + where
                    + "; did you mean '"
                    + closest(spelling).name()
                    + "'? Run durable config to list every setting"));
  }

  /** The setting whose name is fewest edits away from {@code spelling}. */
  Setting closest(String spelling) {
    String wanted = canonical(spelling);
    return all.stream()
        .min(Comparator.comparingInt(setting -> editDistance(wanted, setting.name())))
        .orElseThrow(() -> new IllegalStateException("the catalogue has no settings"));
  }

  /**
   * The canonical form of a spelling: lower-case, no {@code pg_durable.}, dashes for underscores.
   */
  static String canonical(String spelling) {
    String name = requireNonNull(spelling, "spelling is null").strip().toLowerCase(Locale.ROOT);
    if (name.startsWith(PG_DURABLE_PREFIX)) {
      name = name.substring(PG_DURABLE_PREFIX.length());
    }
    return name.replace('_', '-');
  }

  private static void checkDefault(Setting setting, String text) {
    try {
      setting.parse(text);
    } catch (ConfigException e) {
      throw new IllegalArgumentException("default of " + e.getMessage(), e);
    }
  }

  private static int editDistance(String left, String right) {
    int[] previous = new int[right.length() + 1];
    int[] current = new int[right.length() + 1];
    for (int j = 0; j <= right.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= left.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= right.length(); j++) {
        int substitution = left.charAt(i - 1) == right.charAt(j - 1) ? 0 : 1;
        current[j] =
            Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + substitution);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[right.length()];
  }
}
