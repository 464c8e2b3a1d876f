package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;

import dev.durablesql.engine.testing.PostgresExtension;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The build-time checks and Durofut text of df.http and df.http_multipart (SPEC.md §11.1, §11.2)
 * and their privilege gate (R-HTTP-2). Alice has the HTTP grant, bob has not.
 */
class DslHttpTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String PART =
      "[{\"name\":\"file\",\"data_b64\":\"aGk=\",\"filename\":\"a b.txt\","
          + "\"content_type\":\"text/plain\"}]";

  private Connection alice;

  @BeforeAll
  static void grantHttpToAlice() throws SQLException {
    Queries.execute(
        postgres.dataSource(), "SELECT df.grant_usage(?, include_http => true)", "alice");
  }

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
  }

  @AfterEach
  void disconnect() throws SQLException {
    alice.close();
  }

  private static String http(String config) {
    return leaf("HTTP", config);
  }

  private static String multipart(String config) {
    return leaf("HTTP_MULTIPART", config);
  }

  /** A leaf node whose query is the given JSON text, escaped as a JSON string. */
  private static String leaf(String type, String config) {
    return "{\"node_type\":\""
        + type
        + "\",\"query\":\""
        + config.replace("\\", "\\\\").replace("\"", "\\\"")
        + "\"}";
  }

  @Test
  void httpHasTheReferenceSignatureAndIsNotStrict() throws SQLException {
    List<List<String>> catalog =
        Queries.rows(
            alice,
            """
            SELECT p.oid::regprocedure::text, pg_get_function_arguments(p.oid), p.proisstrict::text
              FROM pg_proc p
             WHERE p.pronamespace = 'df'::regnamespace AND p.proname IN ('http', 'http_multipart')
             ORDER BY p.oid::regprocedure::text COLLATE "C"\
            """);

    assertThat(catalog)
        .containsExactly(
            List.of(
                "df.http(text,text,text,jsonb,integer)",
                "url text, method text DEFAULT 'POST'::text, body text DEFAULT NULL::text,"
                    + " headers jsonb DEFAULT NULL::jsonb, timeout_seconds integer DEFAULT 30",
                "false"),
            List.of(
                "df.http_multipart(text,text,jsonb,jsonb,integer)",
                "url text, method text DEFAULT 'POST'::text, parts jsonb DEFAULT NULL::jsonb,"
                    + " headers jsonb DEFAULT NULL::jsonb, timeout_seconds integer DEFAULT 30",
                "false"));
  }

  @Test
  void httpDefaultsToAPostWithoutBodyOrHeaders() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.http('https://api.example.com/items')");

    assertThat(durofut)
        .isEqualTo(
            http(
                "{\"url\":\"https://api.example.com/items\",\"method\":\"POST\",\"body\":null,"
                    + "\"headers\":null,\"timeout_seconds\":30}"));
  }

  @Test
  void httpStoresTheUpperCasedMethodBodyCompactHeadersAndTimeout() throws SQLException {
    String durofut =
        Queries.text(
            alice,
            "SELECT df.http(url => 'HTTP://example.com/a?b=1', method => 'patch', body => ?,"
                + " headers => ?::jsonb, timeout_seconds => 5)",
            "{\"id\": $order.id}",
            "{\"X-Trace\": \"a b\", \"Authorization\": \"Bearer {token}\", \"n\": 1}");

    assertThat(durofut)
        .isEqualTo(
            http(
                "{\"url\":\"HTTP://example.com/a?b=1\",\"method\":\"PATCH\","
                    + "\"body\":\"{\\\"id\\\": $order.id}\","
                    + "\"headers\":{\"n\":1,\"X-Trace\":\"a b\","
                    + "\"Authorization\":\"Bearer {token}\"},\"timeout_seconds\":5}"));
  }

  @Test
  void httpAcceptsHeadersOfAnyJsonType() throws SQLException {
    List<String> durofuts =
        Queries.rows(
                alice,
                "SELECT df.http('http://h', 'GET', NULL, '[\"a\", 1]'),"
                    + " df.http('http://h', 'GET', NULL, '\"x\"'),"
                    + " df.http('http://h', 'GET', NULL, 'null')")
            .get(0);

    assertThat(durofuts)
        .containsExactly(
            http(
                "{\"url\":\"http://h\",\"method\":\"GET\",\"body\":null,\"headers\":[\"a\",1],"
                    + "\"timeout_seconds\":30}"),
            http(
                "{\"url\":\"http://h\",\"method\":\"GET\",\"body\":null,\"headers\":\"x\","
                    + "\"timeout_seconds\":30}"),
            http(
                "{\"url\":\"http://h\",\"method\":\"GET\",\"body\":null,\"headers\":null,"
                    + "\"timeout_seconds\":30}"));
  }

  @Test
  void httpAcceptsEveryReferenceMethodInAnyCase() throws SQLException {
    List<String> methods =
        Queries.column(
            alice,
            "SELECT df.http('http://h', m)::jsonb->>'query' FROM unnest(?::text[]) m",
            (Object) new String[] {"get", "Post", "PUT", "delete", "pAtCh"});

    assertThat(methods)
        .extracting(query -> query.replaceAll(".*\"method\":\"([A-Z]+)\".*", "$1"))
        .containsExactly("GET", "POST", "PUT", "DELETE", "PATCH");
  }

  @Test
  void httpSkipsTheSchemeCheckForUrlsWithVariables() throws SQLException {
    String durofut = Queries.text(alice, "SELECT df.http('{base_url}/orders', 'GET')");

    assertThat(durofut)
        .isEqualTo(
            http(
                "{\"url\":\"{base_url}/orders\",\"method\":\"GET\",\"body\":null,"
                    + "\"headers\":null,\"timeout_seconds\":30}"));
  }

  @Test
  void httpRejectsWhatCannotBeSent() throws SQLException {
    List<String> calls =
        List.of(
            "df.http('ftp://example.com/file')",
            "df.http('example.com/path')",
            "df.http('$endpoint')",
            "df.http('http://h', 'HEAD')",
            "df.http('http://h', NULL)",
            "df.http('http://h', 'GET', NULL, NULL, 0)",
            "df.http('http://h', 'GET', NULL, NULL, NULL)",
            "df.http(NULL)");
    List<String> errors = new ArrayList<>();
    for (String call : calls) {
      errors.add(DslStatements.errorOf(alice, "SELECT " + call));
    }

    assertThat(errors)
        .containsExactly(
            "df.http(): unsupported URL scheme 'ftp' in 'ftp://example.com/file': use http:// or"
                + " https://",
            "df.http(): unsupported URL scheme 'example.com/path' in 'example.com/path': use"
                + " http:// or https://",
            "df.http(): unsupported URL scheme '$endpoint' in '$endpoint': use http:// or"
                + " https://",
            "df.http(): unsupported HTTP method 'HEAD': use GET, POST, PUT, DELETE, PATCH",
            "df.http(): method must not be NULL: use GET, POST, PUT, DELETE, PATCH",
            "df.http(): timeout_seconds must be positive, was 0",
            "df.http(): timeout_seconds must be positive, was NULL",
            "df.http(): url must not be NULL");
  }

  @Test
  void checksRunInTheReferenceOrder() throws SQLException {
    String schemeBeforeMethod = DslStatements.errorOf(alice, "SELECT df.http('ftp://h', 'HEAD')");
    String methodBeforeTimeout =
        DslStatements.errorOf(alice, "SELECT df.http('http://h', 'HEAD', NULL, NULL, 0)");

    assertThat(schemeBeforeMethod).contains("unsupported URL scheme");
    assertThat(methodBeforeTimeout).contains("unsupported HTTP method");
  }

  @Test
  void multipartStoresItsPartsCompactly() throws SQLException {
    String durofut =
        Queries.text(
            alice,
            "SELECT df.http_multipart('https://upload.example.com', 'put', ?::jsonb,"
                + " '{\"X-A\": \"1\"}', 60)",
            PART);

    assertThat(durofut)
        .isEqualTo(
            multipart(
                "{\"url\":\"https://upload.example.com\",\"method\":\"PUT\",\"parts\":"
                    + "[{\"name\":\"file\",\"data_b64\":\"aGk=\",\"filename\":\"a b.txt\","
                    + "\"content_type\":\"text/plain\"}],\"headers\":{\"X-A\":\"1\"},"
                    + "\"timeout_seconds\":60}"));
  }

  @Test
  void multipartLeavesThePartsShapeToExecution() throws SQLException {
    String durofut =
        Queries.text(
            alice, "SELECT df.http_multipart('http://h', parts => '[1, {\"x\": \"\\n\"}]')");

    assertThat(durofut)
        .isEqualTo(
            multipart(
                "{\"url\":\"http://h\",\"method\":\"POST\",\"parts\":[1,{\"x\":\"\\n\"}],"
                    + "\"headers\":null,\"timeout_seconds\":30}"));
  }

  @Test
  void multipartRejectsWhatCannotBeSent() throws SQLException {
    List<String> calls =
        List.of(
            "df.http_multipart('ftp://h', 'POST', '[{}]')",
            "df.http_multipart('http://h', 'GET', '[{}]')",
            "df.http_multipart('http://h', 'DELETE', '[{}]')",
            "df.http_multipart('http://h', 'POST', '[{}]', NULL, -1)",
            "df.http_multipart('http://h')",
            "df.http_multipart('http://h', 'POST', 'null')",
            "df.http_multipart('http://h', 'POST', '{\"name\": \"a\"}')",
            "df.http_multipart('http://h', 'POST', '[]')");
    List<String> errors = new ArrayList<>();
    for (String call : calls) {
      errors.add(DslStatements.errorOf(alice, "SELECT " + call));
    }

    assertThat(errors)
        .containsExactly(
            "df.http_multipart(): unsupported URL scheme 'ftp' in 'ftp://h': use http:// or"
                + " https://",
            "df.http_multipart(): unsupported HTTP method 'GET': use POST, PUT, PATCH",
            "df.http_multipart(): unsupported HTTP method 'DELETE': use POST, PUT, PATCH",
            "df.http_multipart(): timeout_seconds must be positive, was -1",
            "df.http_multipart(): parts is required: pass a JSON array of {\"name\", \"data_b64\","
                + " \"filename\"?, \"content_type\"?} objects",
            "df.http_multipart(): parts is required: pass a JSON array of {\"name\", \"data_b64\","
                + " \"filename\"?, \"content_type\"?} objects",
            "df.http_multipart(): parts must be a JSON array of {\"name\", \"data_b64\","
                + " \"filename\"?, \"content_type\"?} objects, got a JSON object",
            "df.http_multipart(): parts must contain at least one part");
  }

  @Test
  void disabledDeploymentRejectsBothFunctionsFirst() throws SQLException {
    Queries.execute(
        postgres.dataSource(),
        "INSERT INTO df.settings (name, value) VALUES ('http_policy', ?)",
        "disabled");
    String http;
    String multipart;

    try {
      http = DslStatements.errorOf(alice, "SELECT df.http('ftp://h', 'HEAD')");
      multipart = DslStatements.errorOf(alice, "SELECT df.http_multipart('http://h')");
    } finally {
      Queries.execute(postgres.dataSource(), "DELETE FROM df.settings WHERE name = 'http_policy'");
    }

    assertThat(http)
        .isEqualTo("df.http() is disabled: outbound HTTP requests are disabled in this deployment");
    assertThat(multipart)
        .isEqualTo(
            "df.http_multipart() is disabled: outbound HTTP requests are disabled in this"
                + " deployment");
  }

  @Test
  void otherPoliciesAllowBuilding() throws SQLException {
    Queries.execute(
        postgres.dataSource(),
        "INSERT INTO df.settings (name, value) VALUES ('http_policy', ?)",
        "allow-all");
    String durofut;

    try {
      durofut = Queries.text(alice, "SELECT df.http('http://h', 'GET')");
    } finally {
      Queries.execute(postgres.dataSource(), "DELETE FROM df.settings WHERE name = 'http_policy'");
    }

    assertThat(durofut).startsWith("{\"node_type\":\"HTTP\",");
  }

  @Test
  void roleWithoutTheHttpGrantCannotBuildHttpNodes() throws SQLException {
    String http;
    String multipart;
    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      http = DslStatements.errorOf(bob, "SELECT df.http('http://h')");
      multipart =
          DslStatements.errorOf(bob, "SELECT df.http_multipart('http://h', 'POST', '[{}]')");
    }

    assertThat(http).isEqualTo("permission denied for function http");
    assertThat(multipart).isEqualTo("permission denied for function http_multipart");
  }

  @Test
  void publicHasNoExecuteOnTheHttpFunctions() throws SQLException {
    List<String> publicGrants =
        Queries.column(
            alice,
            """
            SELECT p.proname
              FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
             WHERE p.pronamespace = 'df'::regnamespace
               AND p.proname IN ('http', 'http_multipart', 'embed', 'activity')
               AND a.grantee = 0 AND a.privilege_type = 'EXECUTE'
             ORDER BY p.proname COLLATE "C"\
            """);

    assertThat(publicGrants).containsExactly("activity", "embed");
  }

  @Test
  void reapplyingTheDslFileKeepsGrantsAndTheRevocationFromPublic()
      throws SQLException, IOException {
    DslStatements.reapplySchemaFile(postgres.dataSource(), "R__020_dsl.sql");

    List<String> executors =
        Queries.column(
            alice,
            """
            SELECT r.rolname || ':' || has_function_privilege(r.oid,
                     'df.http(text,text,text,jsonb,integer)', 'EXECUTE')
                   || ':' || has_function_privilege(r.oid,
                     'df.http_multipart(text,text,jsonb,jsonb,integer)', 'EXECUTE')
              FROM pg_roles r WHERE r.rolname IN ('alice', 'bob') ORDER BY r.rolname COLLATE "C"\
            """);
    assertThat(executors).containsExactly("alice:true:true", "bob:false:false");
  }
}
