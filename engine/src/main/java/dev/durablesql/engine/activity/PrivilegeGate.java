package dev.durablesql.engine.activity;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Gate 1 of R-HTTP-4: before every attempt of an HTTP step (and of {@code embed}, which R-EXT-5
 * gates like {@code df.http}), the submitting role must hold EXECUTE on the DSL function, checked
 * against the live catalog, so that a revocation after the start blocks the next request.
 * Superusers always pass ({@code has_function_privilege} says so).
 */
public final class PrivilegeGate {
  private static final String HTTP = "df.http(text,text,text,jsonb,integer)";
  private static final String MULTIPART = "df.http_multipart(text,text,jsonb,jsonb,integer)";
  private static final Map<String, String> GATED =
      Map.of("http", HTTP, "http_multipart", MULTIPART, "embed", HTTP);

  private final DataSource dataSource;

  public PrivilegeGate(DataSource dataSource) {
    this.dataSource = requireNonNull(dataSource, "dataSource is null");
  }

  /**
   * Why {@code role} may not run an activity of {@code type}, or empty when it may.
   *
   * @throws SQLException when the catalog cannot be read (the attempt is retried)
   */
  Optional<String> refusal(String role, String type) throws SQLException {
    String function = GATED.get(type);
    if (function == null) {
      return Optional.empty();
    }
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT pg_catalog.has_function_privilege(r.oid, ?::regprocedure, 'EXECUTE')"
                    + " FROM pg_catalog.pg_roles r WHERE r.rolname = ?")) {
      statement.setString(1, function);
      statement.setString(2, role);
      try (ResultSet row = statement.executeQuery()) {
        if (row.next() && row.getBoolean(1)) {
          return Optional.empty();
        }
        String name = function.substring(0, function.indexOf('('));
        return Optional.of(
            "role "
                + role
                + " does not have EXECUTE privilege on "
                + name
                + "(): outbound HTTP is refused; an administrator can run GRANT EXECUTE ON"
                + " FUNCTION "
                + function
                + " TO "
                + role);
      }
    }
  }
}
