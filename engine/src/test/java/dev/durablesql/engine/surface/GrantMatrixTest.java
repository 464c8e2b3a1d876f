package dev.durablesql.engine.surface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * df.grant_usage and df.revoke_usage (SPEC.md R-SEC-1..3): what each combination of options grants,
 * delegation with the grant option, PUBLIC, and what a role can do with what it was given.
 */
class GrantMatrixTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final List<String> TABLE_GRANTS =
      List.of(
          "column df.instances.database:INSERT",
          "column df.instances.id:INSERT",
          "column df.instances.label:INSERT",
          "column df.instances.root_node:INSERT",
          "column df.instances.status:UPDATE",
          "column df.instances.submitted_by:INSERT",
          "column df.instances.updated_at:UPDATE",
          "column df.nodes.database:INSERT",
          "column df.nodes.id:INSERT",
          "column df.nodes.instance_id:INSERT",
          "column df.nodes.left_node:INSERT",
          "column df.nodes.node_type:INSERT",
          "column df.nodes.query:INSERT",
          "column df.nodes.result_name:INSERT",
          "column df.nodes.right_node:INSERT",
          "column df.nodes.submitted_by:INSERT",
          "schema df:USAGE",
          "table df.instances:SELECT",
          "table df.nodes:SELECT",
          "table df.vars:DELETE",
          "table df.vars:INSERT",
          "table df.vars:SELECT",
          "table df.vars:UPDATE");

  private GrantRoles roles;

  @BeforeEach
  void prepare() {
    roles = new GrantRoles(postgres);
  }

  @AfterEach
  void dropRoles() throws SQLException {
    roles.dropAll();
  }

  @Test
  void grantUsageGrantsExactlyTheListedPrivilegesForEveryCombination() throws SQLException {
    for (boolean includeHttp : new boolean[] {false, true}) {
      for (boolean withGrant : new boolean[] {false, true}) {
        String role = roles.create("http_" + includeHttp + "_grant_" + withGrant);

        Queries.execute(
            postgres.dataSource(),
            "SELECT df.grant_usage(?, include_http => ?, with_grant => ?)",
            role,
            includeHttp,
            withGrant);

        assertThat(roles.grantsTo(role))
            .as("include_http=%s, with_grant=%s", includeHttp, withGrant)
            .containsExactlyElementsOf(expectedGrants(includeHttp, withGrant));
      }
    }
  }

  @Test
  void grantUsageIsAdditive() throws SQLException {
    String role = roles.create("additive");
    Queries.execute(
        postgres.dataSource(),
        "SELECT df.grant_usage(?, include_http => true, with_grant => true)",
        role);

    Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?)", role);

    assertThat(roles.grantsTo(role)).containsExactlyElementsOf(expectedGrants(true, true));
  }

  @Test
  void revokeUsageTakesBackEveryCombination() throws SQLException {
    for (boolean includeHttp : new boolean[] {false, true}) {
      for (boolean withGrant : new boolean[] {false, true}) {
        String role = roles.create("leaver_" + includeHttp + "_" + withGrant);
        Queries.execute(
            postgres.dataSource(),
            "SELECT df.grant_usage(?, include_http => ?, with_grant => ?)",
            role,
            includeHttp,
            withGrant);

        Queries.execute(postgres.dataSource(), "SELECT df.revoke_usage(?)", role);

        assertThat(roles.grantsTo(role))
            .as("include_http=%s, with_grant=%s", includeHttp, withGrant)
            .isEmpty();
      }
    }
  }

  @Test
  void aRoleGrantedUsageCanUseTheWholeSurfaceOnItsOwnInstances() throws SQLException {
    String role = roles.create("newcomer");
    Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?)", role);

    try (Connection connection = postgres.connectAs(role)) {
      String id = Queries.text(connection, "SELECT df.start('SELECT 1', 'first')");
      String setvar = Queries.text(connection, "SELECT df.setvar('v', '1')");
      String signal = Queries.text(connection, "SELECT df.signal(?, 'go', 'yes')", id);
      Queries.execute(
          connection,
          "INSERT INTO df_engine.node_policies (instance_id, node_id, policy)"
              + " SELECT id, root_node, '{\"timeout_seconds\": 5}' FROM df.instances WHERE id = ?",
          id);
      long keys = Queries.number(connection, "SELECT count(*) FROM df_engine.start_keys");
      String cancel = Queries.text(connection, "SELECT df.cancel(?)", id);

      assertThat(id).matches("^[0-9a-f]{8}$");
      assertThat(List.of(setvar, signal, cancel))
          .containsExactly("OK", "OK", "Instance " + id + " cancelled: Cancelled by user");
      assertThat(keys).isZero();
      assertThat(Queries.text(connection, "SELECT df.status(?)", id)).isEqualTo("cancelled");
      assertThat(Queries.text(connection, "SELECT df.getvar('v')")).isEqualTo("1");
    }
    assertThat(
            Queries.number(
                postgres.dataSource(),
                "SELECT count(*) FROM df_engine.node_policies p JOIN df.instances i"
                    + " ON i.id = p.instance_id WHERE i.submitted_by = ?::regrole",
                role))
        .isEqualTo(1);
  }

  @Test
  void aRoleGrantedUsageCannotAttachPoliciesToAnotherRolesInstance() throws SQLException {
    String role = roles.create("meddler");
    Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?)", role);
    String alices;
    try (Connection alice = postgres.connectAs(PostgresExtension.ALICE)) {
      alices = Queries.text(alice, "SELECT df.start('SELECT 1')");
    }

    try (Connection connection = postgres.connectAs(role)) {

      assertThatThrownBy(() ->
              Queries.execute(
                  connection,
                  "INSERT INTO df_engine.node_policies (instance_id, node_id, policy)"
                      + " VALUES (?, '00000000', '{\"timeout_seconds\": 1}')",
                  alices))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"))
          .hasMessageContaining("row-level security");
    }
  }

  @Test
  void aRoleWithoutUsageIsRefusedEveryControlFunction() throws SQLException {
    String role = roles.create("outsider");

    try (Connection connection = postgres.connectAs(role)) {

      for (String call :
          List.of(
              "df.setvar('a', 'b')",
              "df.getvar('a')",
              "df.unsetvar('a')",
              "df.clearvars()",
              "df.signal('0badc0de', 'go')",
              "df.cancel('0badc0de')",
              "df.run()")) {
        assertThatThrownBy(() -> Queries.text(connection, "SELECT " + call))
            .as(call)
            .isInstanceOfSatisfying(
                SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
      }
    }
  }

  @Test
  void revokeUsageLeavesTheRoleLockedOut() throws SQLException {
    String role = roles.create("revoked");
    Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?)", role);
    try (Connection connection = postgres.connectAs(role)) {
      Queries.text(connection, "SELECT df.start('SELECT 1')");
    }

    Queries.execute(postgres.dataSource(), "SELECT df.revoke_usage(?)", role);

    try (Connection connection = postgres.connectAs(role)) {
      assertThatThrownBy(() -> Queries.text(connection, "SELECT df.start('SELECT 1')"))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
    }
  }

  @Test
  void lowerCasePublicGrantsToEveryone() throws SQLException {
    String role = roles.create("anyone");
    List<String> before = roles.grantsToPublic();
    try {

      Queries.execute(postgres.dataSource(), "SELECT df.grant_usage('public')");

      assertThat(roles.grantsToPublic()).containsAll(expectedGrants(false, false));
      try (Connection connection = postgres.connectAs(role)) {
        assertThat(Queries.text(connection, "SELECT df.start('SELECT 1')")).hasSize(8);
      }
    } finally {
      Queries.execute(postgres.dataSource(), "SELECT df.revoke_usage('public')");
    }
    assertThat(roles.grantsToPublic()).containsExactlyElementsOf(before);
  }

  @Test
  void otherSpellingsOfPublicNameARoleOfThatName() throws SQLException {
    List<String> before = roles.grantsToPublic();

    for (String spelling : List.of("PUBLIC", "Public")) {
      assertThatThrownBy(
              () -> Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?)", spelling))
          .as(spelling)
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42704"))
          .hasMessageContaining("role \"" + spelling + "\" does not exist");
      assertThatThrownBy(
              () -> Queries.execute(postgres.dataSource(), "SELECT df.revoke_usage(?)", spelling))
          .as(spelling)
          .hasMessageContaining("role \"" + spelling + "\" does not exist");
    }
    assertThat(roles.grantsToPublic()).containsExactlyElementsOf(before);
  }

  @Test
  void aRoleThatDoesNotExistFailsOnTheFirstGrant() {
    assertThatThrownBy(() ->
            Queries.execute(postgres.dataSource(), "SELECT df.grant_usage('no_such_role_here')"))
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42704"))
        .hasMessageContaining("no_such_role_here")
        .hasMessageContaining("ON SCHEMA df");
  }

  @Test
  void roleNamesThatNeedQuotingWork() throws SQLException {
    String role = roles.create("Mixed Case");
    Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?)", role);

    try (Connection connection = postgres.connectAs(role)) {
      String id = Queries.text(connection, "SELECT df.start('SELECT 1')");
      String setvar = Queries.text(connection, "SELECT df.setvar('v', 'mixed')");

      assertThat(Queries.text(connection, "SELECT df.status(?)", id)).isEqualTo("pending");
      assertThat(setvar).isEqualTo("OK");
      assertThat(Queries.text(connection, "SELECT df.getvar('v')")).isEqualTo("mixed");
    }
    assertThat(roles.grantsTo(role)).containsExactlyElementsOf(expectedGrants(false, false));
  }

  @Test
  void aDelegateGrantedWithGrantOptionCanGrantAThirdRole() throws SQLException {
    String delegate = roles.create("delegate");
    String third = roles.create("third");
    Queries.execute(
        postgres.dataSource(), "SELECT df.grant_usage(?, with_grant => true)", delegate);

    try (Connection connection = postgres.connectAs(delegate)) {
      Queries.execute(connection, "SELECT df.grant_usage(?)", third);
    }

    assertThat(roles.grantsTo(third)).containsExactlyElementsOf(expectedGrants(false, false));
    assertThat(roles.grantorsOf(third)).containsExactly(delegate);
    try (Connection connection = postgres.connectAs(third)) {
      assertThat(Queries.text(connection, "SELECT df.start('SELECT 1')")).hasSize(8);
    }
  }

  @Test
  void aDelegateCanPassOnTheGrantOption() throws SQLException {
    String delegate = roles.create("delegate");
    String third = roles.create("third");
    Queries.execute(
        postgres.dataSource(), "SELECT df.grant_usage(?, with_grant => true)", delegate);

    try (Connection connection = postgres.connectAs(delegate)) {
      Queries.execute(connection, "SELECT df.grant_usage(?, with_grant => true)", third);
    }

    assertThat(roles.grantsTo(third)).containsExactlyElementsOf(expectedGrants(false, true));
  }

  @Test
  void aRoleWithoutTheGrantOptionCannotCallGrantUsage() throws SQLException {
    String third = roles.create("third");

    try (Connection alice = postgres.connectAs(PostgresExtension.ALICE)) {

      assertThatThrownBy(() -> Queries.execute(alice, "SELECT df.grant_usage(?)", third))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"))
          .hasMessageContaining("permission denied for function grant_usage");
      assertThatThrownBy(() -> Queries.execute(alice, "SELECT df.revoke_usage('bob')"))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"))
          .hasMessageContaining("permission denied for function revoke_usage");
    }
    assertThat(roles.grantsTo(third)).isEmpty();
  }

  @Test
  void grantUsageRunsWithTheCallersRightsSoExecuteAloneGrantsNothing() throws SQLException {
    String holder = roles.create("holder");
    String third = roles.create("third");
    Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?)", holder);
    Queries.execute(
        postgres.dataSource(),
        "GRANT EXECUTE ON FUNCTION df.grant_usage(text, boolean, boolean) TO " + holder);

    try (Connection connection = postgres.connectAs(holder)) {
      Queries.execute(connection, "SELECT df.grant_usage(?)", third);
    }

    assertThat(roles.grantsTo(third)).isEmpty();
  }

  @Test
  void revokingADelegateCascadesToWhatItGranted() throws SQLException {
    String delegate = roles.create("delegate");
    String third = roles.create("third");
    Queries.execute(
        postgres.dataSource(), "SELECT df.grant_usage(?, with_grant => true)", delegate);
    try (Connection connection = postgres.connectAs(delegate)) {
      Queries.execute(connection, "SELECT df.grant_usage(?)", third);
    }

    Queries.execute(postgres.dataSource(), "SELECT df.revoke_usage(?)", delegate);

    assertThat(roles.grantsTo(delegate)).isEmpty();
    assertThat(roles.grantsTo(third)).isEmpty();
  }

  @Test
  void aDelegateRevokesWhatItGranted() throws SQLException {
    String delegate = roles.create("delegate");
    String third = roles.create("third");
    Queries.execute(
        postgres.dataSource(), "SELECT df.grant_usage(?, with_grant => true)", delegate);
    try (Connection connection = postgres.connectAs(delegate)) {
      Queries.execute(connection, "SELECT df.grant_usage(?)", third);

      Queries.execute(connection, "SELECT df.revoke_usage(?)", third);
    }

    assertThat(roles.grantsTo(third)).isEmpty();
    assertThat(roles.grantsTo(delegate)).containsExactlyElementsOf(expectedGrants(false, true));
  }

  @Test
  void aDelegateCannotRevokeWhatTheOwnerGrantedNotEvenFromItself() throws SQLException {
    String delegate = roles.create("delegate");
    String third = roles.create("third");
    Queries.execute(
        postgres.dataSource(), "SELECT df.grant_usage(?, with_grant => true)", delegate);
    Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?, include_http => true)", third);

    try (Connection connection = postgres.connectAs(delegate)) {
      Queries.execute(connection, "SELECT df.revoke_usage(?)", third);
      Queries.execute(connection, "SELECT df.revoke_usage(?)", delegate);
    }

    assertThat(roles.grantsTo(third)).containsExactlyElementsOf(expectedGrants(true, false));
    assertThat(roles.grantsTo(delegate)).containsExactlyElementsOf(expectedGrants(false, true));
  }

  @Test
  void grantAndRevokeUsageAndMetricsAreNotExecutableByPublic() throws SQLException {
    List<String> closed =
        List.of("df.grant_usage(text,boolean,boolean)", "df.revoke_usage(text)", "df.metrics()");

    List<String> publicGrants = roles.grantsToPublic();

    assertThat(publicGrants)
        .contains("function df.start(text,text,text,text,text):EXECUTE")
        .noneMatch(
            grant -> closed.stream().anyMatch(f -> grant.equals("function " + f + ":EXECUTE")));
  }

  @Test
  void metricsNeedsAnExplicitGrant() throws SQLException {
    assumeTrue(roles.functionExists("df.metrics()"), "df.metrics() is not in this schema yet");
    String admin = roles.create("admin");
    Queries.execute(postgres.dataSource(), "SELECT df.grant_usage(?, with_grant => true)", admin);

    try (Connection alice = postgres.connectAs(PostgresExtension.ALICE);
        Connection connection = postgres.connectAs(admin)) {

      assertThatThrownBy(() -> Queries.rows(alice, "SELECT * FROM df.metrics()"))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
      assertThat(Queries.rows(connection, "SELECT * FROM df.metrics()")).hasSize(1);
    }
  }

  @Test
  void httpConstructorsAreNotExecutableByPublic() throws SQLException {
    assumeTrue(roles.functionExists(GrantRoles.HTTP), "df.http is not in this schema yet");

    List<String> publicGrants = roles.grantsToPublic();

    assertThat(publicGrants)
        .doesNotContain(
            "function " + GrantRoles.HTTP + ":EXECUTE",
            "function " + GrantRoles.HTTP_MULTIPART + ":EXECUTE");
  }

  @Test
  void onlyRolesGrantedHttpCanBuildHttpNodes() throws SQLException {
    assumeTrue(roles.functionExists(GrantRoles.HTTP), "df.http is not in this schema yet");
    String caller = roles.create("caller");
    Queries.execute(
        postgres.dataSource(), "SELECT df.grant_usage(?, include_http => true)", caller);

    try (Connection alice = postgres.connectAs(PostgresExtension.ALICE);
        Connection connection = postgres.connectAs(caller)) {

      assertThatThrownBy(() -> Queries.text(alice, "SELECT df.http('https://example.com/')"))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
      assertThat(Queries.text(connection, "SELECT df.http('https://example.com/')"))
          .contains("\"node_type\":\"HTTP\"");
    }
  }

  @Test
  void aDelegateWithoutHttpGetsPermissionDeniedGrantingHttp() throws SQLException {
    assumeTrue(roles.functionExists(GrantRoles.HTTP), "df.http is not in this schema yet");
    String delegate = roles.create("delegate");
    String third = roles.create("third");
    Queries.execute(
        postgres.dataSource(), "SELECT df.grant_usage(?, with_grant => true)", delegate);

    try (Connection connection = postgres.connectAs(delegate)) {

      assertThatThrownBy(() ->
              Queries.execute(connection, "SELECT df.grant_usage(?, include_http => true)", third))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"))
          .hasMessageContaining("permission denied for function http");
    }
    assertThat(roles.grantsTo(third)).isEmpty();
  }

  @Test
  void aDelegateWithHttpCanGrantHttp() throws SQLException {
    assumeTrue(roles.functionExists(GrantRoles.HTTP), "df.http is not in this schema yet");
    String delegate = roles.create("delegate");
    String third = roles.create("third");
    Queries.execute(
        postgres.dataSource(),
        "SELECT df.grant_usage(?, include_http => true, with_grant => true)",
        delegate);

    try (Connection connection = postgres.connectAs(delegate)) {
      Queries.execute(connection, "SELECT df.grant_usage(?, include_http => true)", third);
    }

    assertThat(roles.grantsTo(third)).containsExactlyElementsOf(expectedGrants(true, false));
  }

  @Test
  void aDelegateWithoutHttpCanStillRevokeWhatItGranted() throws SQLException {
    assumeTrue(roles.functionExists(GrantRoles.HTTP), "df.http is not in this schema yet");
    String delegate = roles.create("delegate");
    String third = roles.create("third");
    Queries.execute(
        postgres.dataSource(), "SELECT df.grant_usage(?, with_grant => true)", delegate);
    try (Connection connection = postgres.connectAs(delegate)) {
      Queries.execute(connection, "SELECT df.grant_usage(?)", third);

      // df.revoke_usage first revokes EXECUTE on df.http, on which the delegate has no privilege.
      Queries.execute(connection, "SELECT df.revoke_usage(?)", third);
    }

    assertThat(roles.grantsTo(third)).isEmpty();
  }

  /** What df.grant_usage gives, given which of the optional functions exist in the schema. */
  private List<String> expectedGrants(boolean includeHttp, boolean withGrant) throws SQLException {
    List<String> grants = new ArrayList<>(TABLE_GRANTS);
    List<String> functions = new ArrayList<>();
    if (includeHttp) {
      functions.add(GrantRoles.HTTP);
      functions.add(GrantRoles.HTTP_MULTIPART);
    }
    if (withGrant) {
      functions.add("df.grant_usage(text,boolean,boolean)");
      functions.add("df.revoke_usage(text)");
      functions.add("df.metrics()");
    }
    for (String function : functions) {
      if (roles.functionExists(function)) {
        grants.add("function " + function + ":EXECUTE");
      }
    }
    return grants.stream().map(grant -> withGrant ? grant + "*" : grant).sorted().toList();
  }
}
