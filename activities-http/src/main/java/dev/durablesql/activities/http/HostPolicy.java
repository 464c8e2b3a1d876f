package dev.durablesql.activities.http;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Which hosts HTTP steps may reach (SPEC.md R-HTTP-7 as replaced by R-DIFF-8). Set once by the
 * deployment's configuration; no SQL user can change it. Immutable and thread-safe.
 */
public final class HostPolicy {

  /** The three modes of R-DIFF-8. */
  public enum Mode {
    /** Every request fails; the DSL functions fail at build time too. */
    DISABLED("disabled"),
    /** Only listed hosts, never bare IP addresses; the SSRF address filter applies. */
    ALLOWLIST("allowlist"),
    /** Any host and any address, without the SSRF filter: for development only. */
    ALLOW_ALL("allow-all");

    private final String configName;

    Mode(String configName) {
      this.configName = configName;
    }

    /**
     * The spelling used in configuration: {@code disabled}, {@code allowlist}, {@code allow-all}.
     */
    public String configName() {
      return configName;
    }

    /**
     * Reads a mode as spelt in configuration (case-insensitive).
     *
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static Mode fromConfigName(String value) {
      requireNonNull(value, "mode is null");
      for (Mode mode : values()) {
        if (mode.configName.equalsIgnoreCase(value.strip())) {
          return mode;
        }
      }
      throw new IllegalArgumentException(
          "Unknown HTTP host policy mode '"
              + value
              + "': expected disabled, allowlist or allow-all");
    }
  }

  private final Mode mode;
  private final List<AllowedHost> allowed;

  private HostPolicy(Mode mode, List<AllowedHost> allowed) {
    this.mode = mode;
    this.allowed = List.copyOf(allowed);
  }

  /** No outbound HTTP at all. */
  public static HostPolicy disabled() {
    return new HostPolicy(Mode.DISABLED, List.of());
  }

  /** Any host, no address filter: for development only. */
  public static HostPolicy allowAll() {
    return new HostPolicy(Mode.ALLOW_ALL, List.of());
  }

  /**
   * Only the listed hosts. {@code entries} is comma-separated; each entry is {@code host} or {@code
   * *.suffix}, optionally followed by {@code :port}; blanks around entries are ignored. Repeat an
   * entry to allow several ports.
   *
   * @throws IllegalArgumentException for a malformed entry (named in the message) or an empty list
   */
  public static HostPolicy allowlist(String entries) {
    requireNonNull(entries, "entries is null");
    List<AllowedHost> parsed = new ArrayList<>();
    for (String entry : entries.split(",", -1)) {
      if (!entry.isBlank()) {
        parsed.add(AllowedHost.parse(entry));
      }
    }
    if (parsed.isEmpty()) {
      throw new IllegalArgumentException(
          "The HTTP allowlist is empty: allowlist mode needs at least one host; use mode"
              + " 'disabled' to turn outbound HTTP off");
    }
    return new HostPolicy(Mode.ALLOWLIST, parsed);
  }

  /**
   * Builds a policy from its two configuration values.
   *
   * @param mode {@code disabled}, {@code allowlist} or {@code allow-all}
   * @param entries the allowlist, read only in allowlist mode; may be {@code null} otherwise
   * @throws IllegalArgumentException for an unknown mode or a malformed allowlist
   */
  public static HostPolicy of(String mode, String entries) {
    return switch (Mode.fromConfigName(mode)) {
      case DISABLED -> disabled();
      case ALLOW_ALL -> allowAll();
      case ALLOWLIST -> allowlist(entries == null ? "" : entries);
    };
  }

  public Mode mode() {
    return mode;
  }

  /** Whether outbound HTTP is enabled at all; {@code false} makes the DSL functions fail. */
  public boolean isEnabled() {
    return mode != Mode.DISABLED;
  }

  /** Whether the SSRF address filter of R-HTTP-8 applies: in every mode but allow-all. */
  boolean filtersAddresses() {
    return mode != Mode.ALLOW_ALL;
  }

  /** Fails when outbound HTTP is disabled; checked before anything else. */
  void checkEnabled() throws RequestRefused {
    if (mode == Mode.DISABLED) {
      throw new RequestRefused(
          "outbound HTTP requests are disabled in this deployment (HTTP host policy mode"
              + " 'disabled'); the request was not sent");
    }
  }

  /** Gate 3 of R-HTTP-4: the host of an already scheme-checked URL. */
  void check(TargetUrl target) throws RequestRefused {
    checkEnabled();
    if (mode == Mode.ALLOW_ALL) {
      return;
    }
    if (target.isIpLiteral()) {
      throw new RequestRefused(
          "Host '"
              + target.host()
              + "' of "
              + target.shown()
              + " is a bare IP address; bare IP hosts are refused in allowlist mode, use a host"
              + " name from the allowlist; the request was not sent");
    }
    int port = target.effectivePort();
    for (AllowedHost entry : allowed) {
      if (entry.matches(target.host(), port)) {
        return;
      }
    }
    throw new RequestRefused(
        "Host '"
            + target.host()
            + "' (port "
            + port
            + ") of "
            + target.shown()
            + " is not in the allowed hosts of this deployment's HTTP host policy; the request"
            + " was not sent");
  }

  @Override
  public String toString() {
    if (mode != Mode.ALLOWLIST) {
      return mode.configName();
    }
    return allowed.stream()
        .map(AllowedHost::toString)
        .collect(Collectors.joining(",", "allowlist[", "]"));
  }
}
