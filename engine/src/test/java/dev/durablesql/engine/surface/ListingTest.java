package dev.durablesql.engine.surface;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Both forms of df.list_instances, their cursor and their page cap (R-MON-3 to R-MON-5). */
class ListingTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static final String FUNCTION_NAME = "pg_durable::orchestration::execute-function-graph";
  private static final String INVALID_CURSOR = "df.list_instances: invalid after_cursor";

  private final InstanceNodesStamps stamps = new InstanceNodesStamps(postgres.dataSource());
  private Connection alice;

  @BeforeEach
  void connect() throws SQLException {
    alice = postgres.connectAs(PostgresExtension.ALICE);
  }

  @AfterEach
  void disconnectAndResetTheCap() throws SQLException {
    alice.close();
    Queries.execute(
        postgres.dataSource(), "DELETE FROM df.settings WHERE name = 'list_instances_max_limit'");
  }

  @Test
  void argumentNamesAndDefaultsAreThoseOfTheReference() throws SQLException {
    List<String> arguments =
        Queries.column(
            alice,
            "SELECT pg_get_function_arguments(p.oid) FROM pg_proc p"
                + " WHERE p.oid IN ('df.list_instances(text, integer)'::regprocedure,"
                + " 'df.list_instances(text, integer, text, text)'::regprocedure)"
                + " ORDER BY p.pronargs");

    assertThat(arguments)
        .containsExactly(
            "status_filter text DEFAULT NULL::text, limit_count integer DEFAULT 100",
            "status_filter text, limit_count integer, label_filter text,"
                + " after_cursor text DEFAULT NULL::text");
  }

  @Test
  void basicListingHasTheSixColumns() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "'SELECT 1', 'six-columns'");

    List<String> names =
        InstanceNodesStamps.columnNames(alice, "SELECT * FROM df.list_instances()");
    List<String> row = rowOf(Queries.rows(alice, "SELECT * FROM df.list_instances()"), id);

    assertThat(names)
        .containsExactly(
            "instance_id", "label", "function_name", "status", "execution_count", "output");
    assertThat(row).containsExactly(id, "six-columns", FUNCTION_NAME, "pending", "1", null);
  }

  @Test
  void outputIsTheResultOfACompletedInstance() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "'SELECT 42 AS answer'");
    stamps.stamp(
        id,
        stamps.root(id),
        "completed",
        "{\"rows\":[{\"answer\":42}],\"row_count\":1}",
        id + "::1");
    stamps.finish(id, "completed");

    List<String> row = rowOf(Queries.rows(alice, "SELECT * FROM df.list_instances()"), id);

    assertThat(row.subList(3, 6))
        .containsExactly("completed", "1", "{\"rows\": [{\"answer\": 42}], \"row_count\": 1}");
  }

  @Test
  void outputIsTheRootErrorWithoutQuotesOfAFailedInstance() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "'SELECT 1/0'");
    stamps.stamp(
        id, stamps.root(id), "failed", "\"SQL execution failed: division by zero\"", id + "::1");
    stamps.finish(id, "failed");

    List<String> row = rowOf(Queries.rows(alice, "SELECT * FROM df.list_instances()"), id);

    assertThat(row.subList(3, 6))
        .containsExactly("failed", "1", "SQL execution failed: division by zero");
  }

  @Test
  void outputOfACancelledInstanceIsTheNewestCancelReason() throws SQLException {
    String withReason = InstanceNodesStamps.start(alice, "'SELECT 1'");
    InstanceNodesStamps.cancel(alice, withReason, "first reason");
    Queries.execute(
        postgres.dataSource(),
        "UPDATE df.instances SET status = 'running' WHERE id = ?",
        withReason);
    InstanceNodesStamps.cancel(alice, withReason, "operator stopped it");
    String withoutReason = InstanceNodesStamps.start(alice, "'SELECT 1'");
    InstanceNodesStamps.cancel(alice, withoutReason, "");

    List<List<String>> rows = Queries.rows(alice, "SELECT * FROM df.list_instances('cancelled')");

    assertThat(rowOf(rows, withReason).subList(3, 6))
        .containsExactly("cancelled", "1", "operator stopped it");
    assertThat(rowOf(rows, withoutReason).subList(3, 6))
        .containsExactly("cancelled", "1", "Cancelled");
  }

  @Test
  void cancelReasonsOfOtherUsersStayHidden() throws SQLException {
    String id = InstanceNodesStamps.start(alice, "'SELECT 1'");
    InstanceNodesStamps.cancel(alice, id, "alice's secret reason");
    List<String> bobs;

    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      bobs = Queries.column(bob, "SELECT reason FROM df_engine.cancel_reasons");
    }
    List<String> alices =
        Queries.column(
            alice, "SELECT reason FROM df_engine.cancel_reasons WHERE instance_id = ?", id);

    assertThat(bobs).isEmpty();
    assertThat(alices).containsExactly("alice's secret reason");
  }

  @Test
  void executionCountIsTheHighestRootScopeGeneration() throws SQLException {
    String id =
        InstanceNodesStamps.start(
            alice, "df.loop(df.seq('SELECT 1', df.join('SELECT 2', 'SELECT 3')))");
    String loop = stamps.root(id);
    String join = stamps.nodeOfType(id, "JOIN");
    String branch = stamps.node(id, "SELECT 2");
    stamps.stamp(id, loop, "running", null, id + "::4");
    stamps.stamp(id, stamps.node(id, "SELECT 1"), "completed", "1", id + "::3");
    stamps.stamp(id, join, "running", null, id + "::4");
    stamps.stamp(id, branch, "completed", "1", id + "::4::" + branch + "::9");
    String foreign = InstanceNodesStamps.start(alice, "df.seq('SELECT 1', 'SELECT 2')");
    stamps.stamp(foreign, stamps.node(foreign, "SELECT 1"), "completed", "1", "0badc0de::9");
    stamps.stamp(foreign, stamps.node(foreign, "SELECT 2"), "completed", "1", foreign + "::x");
    String untouched = InstanceNodesStamps.start(alice, "'SELECT 1'");

    List<List<String>> rows = Queries.rows(alice, "SELECT * FROM df.list_instances()");

    assertThat(rowOf(rows, id).get(4)).isEqualTo("4");
    assertThat(rowOf(rows, foreign).get(4)).isEqualTo("1");
    assertThat(rowOf(rows, untouched).get(4)).isEqualTo("1");
  }

  @Test
  void basicListingFiltersByStatusAndOrdersNewestFirst() throws SQLException {
    String oldest = InstanceNodesStamps.start(alice, "'SELECT 1', 'ordered'");
    String middle = InstanceNodesStamps.start(alice, "'SELECT 1', 'ordered'");
    String newest = InstanceNodesStamps.start(alice, "'SELECT 1', 'ordered'");
    stamps.setCreatedAt(oldest, "2001-01-01 00:00:00+00");
    stamps.setCreatedAt(middle, "2001-01-02 00:00:00+00");
    stamps.setCreatedAt(newest, "2001-01-03 00:00:00+00");
    stamps.finish(middle, "running");

    List<String> all =
        Queries.column(
            alice, "SELECT instance_id FROM df.list_instances() WHERE label = 'ordered'");
    List<String> running =
        Queries.column(alice, "SELECT instance_id FROM df.list_instances('running', 1000)");
    List<String> limited =
        Queries.column(alice, "SELECT instance_id FROM df.list_instances(NULL, 1)");

    assertThat(all).containsExactly(newest, middle, oldest);
    assertThat(running).containsExactly(middle);
    assertThat(limited).hasSize(1).doesNotContain(oldest, middle);
  }

  @Test
  void usersSeeOnlyTheirOwnInstancesAndTheSuperuserSeesAll() throws SQLException {
    String alices = InstanceNodesStamps.start(alice, "'SELECT 1'");
    String bobs;
    List<String> bobSees;
    List<String> bobPages;

    try (Connection bob = postgres.connectAs(PostgresExtension.BOB)) {
      bobs = InstanceNodesStamps.start(bob, "'SELECT 1'");
      bobSees = Queries.column(bob, "SELECT instance_id FROM df.list_instances(NULL, 1000)");
      bobPages = Queries.column(bob, "SELECT instance_id FROM df.list_instances(NULL, 1000, NULL)");
    }
    List<String> aliceSees =
        Queries.column(alice, "SELECT instance_id FROM df.list_instances(NULL, 1000)");
    List<String> superuserSees =
        Queries.column(
            postgres.dataSource(), "SELECT instance_id FROM df.list_instances(NULL, 1000)");

    assertThat(bobSees).containsExactly(bobs);
    assertThat(bobPages).containsExactly(bobs);
    assertThat(aliceSees).contains(alices).doesNotContain(bobs);
    assertThat(superuserSees).contains(alices, bobs);
  }

  @Test
  void paginatedListingHasTheNineColumnsAndCompletedAtOnlyWhenCompleted() throws SQLException {
    String completed = InstanceNodesStamps.start(alice, "'SELECT 1', 'nine'");
    String failed = InstanceNodesStamps.start(alice, "'SELECT 1', 'nine'");
    stamps.finish(completed, "completed");
    stamps.finish(failed, "failed");
    Queries.execute(
        postgres.dataSource(), "UPDATE df.instances SET completed_at = now() WHERE id = ?", failed);

    List<String> names =
        InstanceNodesStamps.columnNames(alice, "SELECT * FROM df.list_instances(NULL, 10, 'nine')");
    List<List<String>> rows =
        Queries.rows(alice, "SELECT * FROM df.list_instances(NULL, 10, 'nine')");

    assertThat(names)
        .containsExactly(
            "instance_id",
            "label",
            "function_name",
            "status",
            "execution_count",
            "output",
            "created_at",
            "completed_at",
            "next_cursor");
    assertThat(rowOf(rows, completed).subList(0, 4))
        .containsExactly(completed, "nine", FUNCTION_NAME, "completed");
    assertThat(rowOf(rows, completed).get(6)).isNotNull();
    assertThat(rowOf(rows, completed).get(7)).isNotNull();
    assertThat(rowOf(rows, failed).get(6)).isNotNull();
    assertThat(rowOf(rows, failed).get(7)).isNull();
    assertThat(rows).allSatisfy(row -> assertThat(row.get(8)).isNull());
  }

  @Test
  void paginatedListingExcludesRowsWithoutCreatedAt() throws SQLException {
    String timeless = InstanceNodesStamps.start(alice, "'SELECT 1', 'timeless'");
    Queries.execute(
        postgres.dataSource(), "UPDATE df.instances SET created_at = NULL WHERE id = ?", timeless);

    List<String> paged =
        Queries.column(alice, "SELECT instance_id FROM df.list_instances(NULL, 10, 'timeless')");
    List<String> basic =
        Queries.column(alice, "SELECT instance_id FROM df.list_instances(NULL, 1000)");

    assertThat(paged).isEmpty();
    assertThat(basic).contains(timeless);
  }

  @Test
  void cursorIsHexOfVersionCreatedAtAndId() throws SQLException {
    String first = InstanceNodesStamps.start(alice, "'SELECT 1', 'cursor-format'");
    String second = InstanceNodesStamps.start(alice, "'SELECT 1', 'cursor-format'");
    stamps.setCreatedAt(first, "2024-05-06 07:08:09.123456+00");
    stamps.setCreatedAt(second, "2024-05-06 07:08:09.000001+00");
    Queries.execute(alice, "SET TIME ZONE 'UTC'");

    String utc =
        Queries.text(alice, "SELECT next_cursor FROM df.list_instances(NULL, 1, 'cursor-format')");
    Queries.execute(alice, "SET TIME ZONE 'Asia/Kolkata'");
    String kolkata =
        Queries.text(alice, "SELECT next_cursor FROM df.list_instances(NULL, 1, 'cursor-format')");
    Queries.execute(alice, "SET TIME ZONE 'America/St_Johns'");
    String stJohns =
        Queries.text(alice, "SELECT next_cursor FROM df.list_instances(NULL, 1, 'cursor-format')");

    assertThat(utc).isEqualTo(hex("v1|2024-05-06T07:08:09.123456+00|" + first));
    assertThat(kolkata).isEqualTo(hex("v1|2024-05-06T12:38:09.123456+05:30|" + first));
    assertThat(stJohns).isEqualTo(hex("v1|2024-05-06T04:38:09.123456-02:30|" + first));
  }

  @Test
  void aCursorFromAnyTimeZoneContinuesAfterItsRow() throws SQLException {
    String first = InstanceNodesStamps.start(alice, "'SELECT 1', 'zones'");
    String second = InstanceNodesStamps.start(alice, "'SELECT 1', 'zones'");
    stamps.setCreatedAt(first, "2024-05-06 07:08:09.5+00");
    stamps.setCreatedAt(second, "2024-05-06 07:08:09.4+00");
    String cursor = hex("v1|2024-05-06T12:38:09.500000+05:30|" + first);

    List<String> next =
        Queries.column(
            alice, "SELECT instance_id FROM df.list_instances(NULL, 5, 'zones', ?)", cursor);

    assertThat(next).containsExactly(second);
  }

  @Test
  void pagesVisitEveryRowOnceDespiteTiedCreationTimes() throws SQLException {
    insertInstances(3000, "bulk");
    List<String> expected =
        Queries.column(
            postgres.dataSource(),
            "SELECT id FROM df.instances WHERE label = 'bulk' ORDER BY created_at DESC, id");
    List<String> visited = new ArrayList<>();
    List<Long> distinctCursorsPerPage = new ArrayList<>();
    String cursor = null;

    do {
      List<List<String>> page =
          Queries.rows(
              alice,
              "SELECT instance_id, next_cursor FROM df.list_instances(NULL, 97, 'bulk', ?)",
              cursor);
      page.forEach(row -> visited.add(row.get(0)));
      distinctCursorsPerPage.add(page.stream().map(row -> row.get(1)).distinct().count());
      cursor = page.isEmpty() ? null : page.get(page.size() - 1).get(1);
    } while (cursor != null);

    assertThat(visited).hasSize(3000).containsExactlyElementsOf(expected);
    assertThat(distinctCursorsPerPage).hasSize(31).containsOnly(1L);
  }

  @Test
  void pagesCombineStatusAndLabelFilters() throws SQLException {
    insertInstances(50, "filtered");
    Queries.execute(
        postgres.dataSource(),
        "UPDATE df.instances SET status = 'completed'"
            + " WHERE label = 'filtered' AND created_at >= timestamptz '2020-02-02 00:00:02+00'");
    List<String> expected =
        Queries.column(
            postgres.dataSource(),
            "SELECT id FROM df.instances WHERE label = 'filtered' AND status = 'completed'"
                + " ORDER BY created_at DESC, id");

    List<List<String>> firstPage =
        Queries.rows(
            alice,
            "SELECT instance_id, next_cursor FROM df.list_instances('completed', 20, 'filtered')");
    List<String> secondPage =
        Queries.column(
            alice,
            "SELECT instance_id FROM df.list_instances('completed', 20, 'filtered', ?)",
            firstPage.get(0).get(1));

    assertThat(expected).hasSize(31);
    assertThat(firstPage)
        .extracting(row -> row.get(0))
        .containsExactlyElementsOf(expected.subList(0, 20));
    assertThat(secondPage).containsExactlyElementsOf(expected.subList(20, 31));
  }

  @Test
  void lastFullPageHasNoNextCursor() throws SQLException {
    insertInstances(4, "exact");

    List<String> cursors =
        Queries.column(alice, "SELECT next_cursor FROM df.list_instances(NULL, 4, 'exact')");

    assertThat(cursors).hasSize(4).containsOnlyNulls();
  }

  @Test
  void malformedCursorsAreErrorsNeverARestart() throws SQLException {
    String id = "abcdef01";
    Map<String, String> cursors =
        Map.ofEntries(
            Map.entry("empty", ""),
            Map.entry("odd length", "616"),
            Map.entry("longer than 512", "61".repeat(257)),
            Map.entry("not hex", "zz"),
            Map.entry("not UTF-8", "ff"),
            Map.entry("NUL byte", "00"),
            Map.entry("version", hex("v2|2024-05-06T07:08:09.123456+00|" + id)),
            Map.entry("no version", hex("|2024-05-06T07:08:09.123456+00|" + id)),
            Map.entry("empty timestamp", hex("v1||" + id)),
            Map.entry("empty id", hex("v1|2024-05-06T07:08:09.123456+00|")),
            Map.entry("two parts", hex("v1|2024-05-06T07:08:09.123456+00")),
            Map.entry("one part", hex("v1")),
            Map.entry("no microseconds", hex("v1|2024-05-06T07:08:09+00|" + id)),
            Map.entry("space separator", hex("v1|2024-05-06 07:08:09.123456+00|" + id)),
            Map.entry("no offset", hex("v1|2024-05-06T07:08:09.123456|" + id)),
            Map.entry("offset with seconds", hex("v1|2024-05-06T07:08:09.123456+00:00:00|" + id)),
            Map.entry("impossible date", hex("v1|2024-13-45T07:08:09.123456+00|" + id)));
    List<String> accepted = new ArrayList<>();

    for (Map.Entry<String, String> cursor : cursors.entrySet()) {
      try {
        Queries.rows(
            alice, "SELECT * FROM df.list_instances(NULL, 10, NULL, ?)", cursor.getValue());
        accepted.add(cursor.getKey());
      } catch (SQLException e) {
        if (!e.getMessage().contains(INVALID_CURSOR)) {
          accepted.add(cursor.getKey() + ": " + e.getMessage());
        }
      }
    }

    assertThat(accepted).isEmpty();
  }

  @Test
  void cursorsUpToFiveHundredTwelveCharactersAndUpperCaseHexAreAccepted() throws SQLException {
    String atTheCursor = InstanceNodesStamps.start(alice, "'SELECT 1', 'long-cursor'");
    String older = InstanceNodesStamps.start(alice, "'SELECT 1', 'long-cursor'");
    stamps.setCreatedAt(atTheCursor, "2024-05-06 07:08:09.123456+00");
    stamps.setCreatedAt(older, "2024-05-06 07:08:09.123455+00");
    String prefix = "v1|2024-05-06T07:08:09.123456+00|";
    String longest = hex(prefix + "f".repeat(256 - prefix.length()));
    String upperCase = hex(prefix + "00000000").toUpperCase(Locale.ROOT);

    List<String> afterLongest =
        Queries.column(
            alice,
            "SELECT instance_id FROM df.list_instances(NULL, 10, 'long-cursor', ?)",
            longest);
    List<String> afterUpperCase =
        Queries.column(
            alice,
            "SELECT instance_id FROM df.list_instances(NULL, 10, 'long-cursor', ?)",
            upperCase);

    assertThat(longest).hasSize(512);
    assertThat(afterLongest).containsExactly(older);
    assertThat(afterUpperCase).containsExactly(atTheCursor, older);
  }

  @Test
  void pageSizeMustBePositive() {
    assertThatThrownBy(() -> Queries.rows(alice, "SELECT * FROM df.list_instances(NULL, 0)"))
        .hasMessageContaining("limit_count must be at least 1");
    assertThatThrownBy(() -> Queries.rows(alice, "SELECT * FROM df.list_instances(NULL, -5, NULL)"))
        .hasMessageContaining("limit_count must be at least 1");
    assertThatThrownBy(
            () -> Queries.rows(alice, "SELECT * FROM df.list_instances(NULL, NULL::integer)"))
        .hasMessageContaining("limit_count must not be NULL");
  }

  @Test
  void pageSizeAboveTheDefaultCapIsAnError() {
    assertThatThrownBy(() -> Queries.rows(alice, "SELECT * FROM df.list_instances(NULL, 1001)"))
        .hasMessageContaining("list_instances_max_limit (1000)");
    assertThatThrownBy(
            () -> Queries.rows(alice, "SELECT * FROM df.list_instances(NULL, 1001, NULL)"))
        .hasMessageContaining("list_instances_max_limit (1000)");
  }

  @Test
  void capComesFromTheSettingsTableForBothForms() throws SQLException {
    Queries.execute(
        postgres.dataSource(),
        "INSERT INTO df.settings (name, value) VALUES ('list_instances_max_limit', '3')");
    InstanceNodesStamps.start(alice, "'SELECT 1'");

    List<List<String>> atTheCap = Queries.rows(alice, "SELECT * FROM df.list_instances(NULL, 3)");
    List<List<String>> pagedAtTheCap =
        Queries.rows(alice, "SELECT * FROM df.list_instances(NULL, 3, NULL)");

    assertThat(atTheCap).isNotEmpty();
    assertThat(pagedAtTheCap).isNotEmpty();
    assertThatThrownBy(() -> Queries.rows(alice, "SELECT * FROM df.list_instances(NULL, 4)"))
        .hasMessageContaining("list_instances_max_limit (3)");
    assertThatThrownBy(() -> Queries.rows(alice, "SELECT * FROM df.list_instances(NULL, 4, NULL)"))
        .hasMessageContaining("list_instances_max_limit (3)");
    assertThatThrownBy(() -> Queries.rows(alice, "SELECT * FROM df.list_instances()"))
        .hasMessageContaining("list_instances_max_limit (3)");
  }

  @Test
  void usersCannotRaiseTheCap() {
    assertThatThrownBy(() ->
            Queries.execute(
                alice,
                "INSERT INTO df.settings (name, value)"
                    + " VALUES ('list_instances_max_limit', '99999')"))
        .hasMessageContaining("permission denied");
  }

  /**
   * Inserts {@code count} of alice's instances with one SQL node each, as the superuser, ten to a
   * creation time (so that pages split groups of equal created_at).
   */
  private static void insertInstances(int count, String label) throws SQLException {
    try (Connection connection = postgres.dataSource().getConnection()) {
      connection.setAutoCommit(false);
      Queries.execute(
          connection,
          "INSERT INTO df.instances (id, label, root_node, submitted_by, created_at)"
              + " SELECT right(md5(? || g), 8), ?, right(md5(? || g), 8), 'alice',"
              + " timestamptz '2020-02-02 00:00:00+00' + (g / 10) * interval '1 second'"
              + " FROM generate_series(1, ?) g",
          label,
          label,
          label,
          count);
      Queries.execute(
          connection,
          "INSERT INTO df.nodes (id, instance_id, node_type, query, submitted_by)"
              + " SELECT right(md5(? || g), 8), right(md5(? || g), 8), 'SQL', 'SELECT 1', 'alice'"
              + " FROM generate_series(1, ?) g",
          label,
          label,
          count);
      connection.commit();
    }
  }

  private static List<String> rowOf(List<List<String>> rows, String instanceId) {
    return rows.stream()
        .filter(row -> instanceId.equals(row.get(0)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no row for " + instanceId + " in " + rows));
  }

  private static String hex(String text) {
    return HexFormat.of().formatHex(text.getBytes(UTF_8));
  }
}
