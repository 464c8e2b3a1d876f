package dev.durablesql.engine.http;

import static java.util.Objects.requireNonNull;

import dev.durablesql.engine.config.Config;
import dev.durablesql.engine.config.ConfigException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the HTTP server listens and how dashboard users sign in. Checked once, here: sign-in may be
 * off only on a loopback address, and then needs the role the dashboard acts as; trusted-header
 * needs the header's name.
 *
 * @param port the port; 0 means no server
 */
public record HttpSettings(
    String bind,
    int port,
    Auth auth,
    Optional<String> trustedHeader,
    Optional<String> role,
    Duration sessionTimeout) {

  /** How dashboard users sign in (setting {@code dashboard.auth}). */
  public enum Auth {
    /** A PostgreSQL role name and its password, checked by logging in to the database. */
    PASSWORD,
    /** The role named in a request header that an authenticating proxy sets. */
    TRUSTED_HEADER,
    /** No sign-in: every request acts as {@link HttpSettings#role()}; loopback only. */
    OFF;

    /** The value of setting {@code dashboard.auth}, such as {@code trusted-header}. */
    public static Auth of(String text) {
      return valueOf(text.toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    /** The setting's spelling, such as {@code trusted-header}. */
    public String text() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  public HttpSettings {
    requireNonNull(bind, "bind is null");
    requireNonNull(auth, "auth is null");
    requireNonNull(trustedHeader, "trustedHeader is null");
    requireNonNull(role, "role is null");
    requireNonNull(sessionTimeout, "sessionTimeout is null");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be from 0 to 65535, was " + port);
    }
    if (auth == Auth.OFF && port != 0) {
      if (!isLoopback(bind)) {
        throw new ConfigException(
            "dashboard.auth=off is allowed only while http-bind is a loopback address, but"
                + " http-bind is "
                + bind
                + "; use dashboard.auth=password or trusted-header, or bind to 127.0.0.1");
      }
      if (role.isEmpty()) {
        throw new ConfigException(
            "dashboard.auth=off needs dashboard.role, the role the dashboard acts as");
      }
    }
    if (auth == Auth.TRUSTED_HEADER && trustedHeader.filter(h -> !h.isBlank()).isEmpty()) {
      throw new ConfigException(
          "dashboard.auth=trusted-header needs dashboard.trusted-header, the name of the header"
              + " your proxy sets, such as X-Forwarded-User");
    }
  }

  /** The settings {@code http-bind}, {@code http-port} and {@code dashboard.*}. */
  public static HttpSettings from(Config config) {
    return new HttpSettings(
        config.string("http-bind"),
        config.integer("http-port"),
        Auth.of(config.string("dashboard.auth")),
        config.optionalString("dashboard.trusted-header"),
        config.optionalString("dashboard.role"),
        config.duration("dashboard.session-timeout"));
  }

  public HttpSettings withPort(int value) {
    return new HttpSettings(bind, value, auth, trustedHeader, role, sessionTimeout);
  }

  /** Sign-in off, acting as {@code value}. */
  public HttpSettings withoutSignIn(String value) {
    return new HttpSettings(
        bind, port, Auth.OFF, trustedHeader, Optional.of(value), sessionTimeout);
  }

  public boolean isEnabled() {
    return port != 0;
  }

  /** Whether {@code bind} names a loopback address (127.0.0.0/8, ::1, localhost). */
  public static boolean isLoopback(String bind) {
    try {
      return InetAddress.getByName(bind).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
