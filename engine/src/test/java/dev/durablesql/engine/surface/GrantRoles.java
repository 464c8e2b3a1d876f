package dev.durablesql.engine.surface;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Login roles that one test class creates for itself, named after its database so that classes
 * running against the same server do not meet, and what has been granted to them.
 */
final class GrantRoles {
  static final String HTTP = "df.http(text,text,text,jsonb,integer)";
  static final String HTTP_MULTIPART = "df.http_multipart(text,text,jsonb,jsonb,integer)";

  /**
   * Every privilege granted directly to one grantee on the schemas df and df_engine and on their
   * tables, columns and functions, as {@code kind object:PRIVILEGE}, with {@code *} appended when
   * it carries the grant option. The grantee is the placeholder {@code %1$s}.
   */
  private static final String GRANTS =
      """
      SELECT g FROM (
        SELECT 'schema ' || n.nspname || ':' || a.privilege_type
               || CASE WHEN a.is_grantable THEN '*' ELSE '' END AS g
          FROM pg_namespace n, aclexplode(n.nspacl) a
         WHERE n.nspname IN ('df', 'df_engine') AND a.grantee = %1$s
        UNION ALL
        SELECT 'table ' || c.oid::regclass::text || ':' || a.privilege_type
               || CASE WHEN a.is_grantable THEN '*' ELSE '' END
          FROM pg_class c, aclexplode(c.relacl) a
         WHERE c.relnamespace IN ('df'::regnamespace, 'df_engine'::regnamespace)
           AND a.grantee = %1$s
        UNION ALL
        SELECT 'column ' || c.oid::regclass::text || '.' || at.attname || ':' || a.privilege_type
               || CASE WHEN a.is_grantable THEN '*' ELSE '' END
          FROM pg_class c JOIN pg_attribute at ON at.attrelid = c.oid, aclexplode(at.attacl) a
         WHERE c.relnamespace IN ('df'::regnamespace, 'df_engine'::regnamespace)
           AND a.grantee = %1$s
        UNION ALL
        SELECT 'function ' || p.oid::regprocedure::text || ':' || a.privilege_type
               || CASE WHEN a.is_grantable THEN '*' ELSE '' END
          FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
         WHERE p.pronamespace IN ('df'::regnamespace, 'df_engine'::regnamespace)
           AND a.grantee = %1$s
      ) s ORDER BY 1\
      """;

  /** The roles that granted one grantee anything on df's schema, tables or columns. */
  private static final String GRANTORS =
      """
      SELECT DISTINCT a.grantor::regrole::text
        FROM (SELECT nspacl AS acl FROM pg_namespace WHERE nspname = 'df'
              UNION ALL
              SELECT relacl FROM pg_class WHERE relnamespace = 'df'::regnamespace
              UNION ALL
              SELECT at.attacl FROM pg_attribute at JOIN pg_class c ON c.oid = at.attrelid
               WHERE c.relnamespace = 'df'::regnamespace) s, aclexplode(s.acl) a
       WHERE a.grantee = ?::regrole
       ORDER BY 1\
      """;

  private final PostgresExtension postgres;
  private final List<String> created = new ArrayList<>();

  GrantRoles(PostgresExtension postgres) {
    this.postgres = postgres;
  }

  /**
   * Creates a login role without any privilege in df and returns its name: the class's database
   * name, an underscore and {@code suffix}, taken as it is (upper case and spaces stay).
   */
  String create(String suffix) throws SQLException {
    String role = postgres.databaseName() + "_" + suffix;
    Queries.execute(postgres.dataSource(), "CREATE ROLE " + quoted(role) + " LOGIN");
    created.add(role);
    return role;
  }

  /**
   * Drops every role this object created. One DROP OWNED BY for all of them: privileges that one of
   * them granted another (delegation) go only when the grantor's are revoked with CASCADE.
   */
  void dropAll() throws SQLException {
    if (created.isEmpty()) {
      return;
    }
    String names = String.join(", ", created.stream().map(GrantRoles::quoted).toList());
    created.clear();
    Queries.execute(postgres.dataSource(), "DROP OWNED BY " + names + " CASCADE");
    Queries.execute(postgres.dataSource(), "DROP ROLE " + names);
  }

  /** What was granted directly to {@code role}, as {@link #GRANTS} lists it. */
  List<String> grantsTo(String role) throws SQLException {
    String name = regrole(role);
    return Queries.column(
        postgres.dataSource(), GRANTS.formatted("?::regrole"), name, name, name, name);
  }

  /** What was granted to PUBLIC, as {@link #GRANTS} lists it. */
  List<String> grantsToPublic() throws SQLException {
    return Queries.column(postgres.dataSource(), GRANTS.formatted("0"));
  }

  /** The roles that granted {@code role} anything on df's schema, tables or columns. */
  List<String> grantorsOf(String role) throws SQLException {
    return Queries.column(postgres.dataSource(), GRANTORS, regrole(role));
  }

  /** Whether a function of this signature exists in the class's database. */
  boolean functionExists(String signature) throws SQLException {
    return "t"
        .equals(
            Queries.text(
                postgres.dataSource(), "SELECT to_regprocedure(?) IS NOT NULL", signature));
  }

  /** A role name as regrole input: quoted unless it is a plain lower-case identifier. */
  private static String regrole(String role) {
    return role.matches("[a-z_][a-z0-9_]*") ? role : quoted(role);
  }

  private static String quoted(String role) {
    return '"' + role.replace("\"", "\"\"") + '"';
  }
}
