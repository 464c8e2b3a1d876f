package dev.durablesql.activities.sql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RowsEncoderTest {
  private static EmbeddedPostgres postgres;

  private Connection connection;

  @BeforeAll
  static void startPostgres() throws IOException, SQLException {
    postgres = EmbeddedPostgres.builder().start();
    try (Connection setup = postgres.getPostgresDatabase().getConnection();
        Statement statement = setup.createStatement()) {
      statement.execute("CREATE SCHEMA hidden");
      statement.execute("CREATE TYPE hidden.hue AS ENUM ('red', 'blue')");
      statement.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')");
      statement.execute("CREATE TYPE pair AS (n int4, label text)");
      statement.execute("CREATE DOMAIN positive AS int4 CHECK (VALUE > 0)");
      statement.execute("CREATE DOMAIN label AS text");
      statement.execute("CREATE DOMAIN price AS numeric(10, 2)");
    }
  }

  @AfterAll
  static void stopPostgres() throws IOException {
    postgres.close();
  }

  @BeforeEach
  void connect() throws SQLException {
    // A connection per test: tests that SET a session setting cannot leak it into others.
    connection = postgres.getPostgresDatabase().getConnection();
  }

  @AfterEach
  void disconnect() throws SQLException {
    connection.close();
  }

  @Test
  void keysFollowSelectListOrder() throws SQLException {
    String result = encode("SELECT 2 AS b, 1 AS a");

    assertThat(result).isEqualTo(json("{'rows':[{'b':2,'a':1}],'row_count':1}"));
  }

  @Test
  void laterDuplicateColumnWinsAtPositionOfFirst() throws SQLException {
    String result = encode("SELECT 1 AS a, 2 AS b, 3 AS a");

    assertThat(result).isEqualTo(oneRow("{'a':3,'b':2}"));
  }

  @Test
  void rowCountIsNumberOfReturnedRows() throws SQLException {
    String result = encode("SELECT g AS n FROM generate_series(1, 3) AS g");

    assertThat(result).isEqualTo(json("{'rows':[{'n':1},{'n':2},{'n':3}],'row_count':3}"));
  }

  @Test
  void queryWithoutRowsGivesEmptyRows() throws SQLException {
    String result = encode("SELECT 1 AS a WHERE false");

    assertThat(result).isEqualTo("{\"rows\":[],\"row_count\":0}").isEqualTo(RowsEncoder.empty());
  }

  @Test
  void statementWithoutResultSetUsesEmpty() throws SQLException {
    encode("CREATE TEMP TABLE t (n int4)");

    String insert = encode("INSERT INTO t VALUES (1), (2)");
    String returning = encode("INSERT INTO t VALUES (3) RETURNING n");

    assertThat(insert).isEqualTo("{\"rows\":[],\"row_count\":0}");
    assertThat(returning).isEqualTo(oneRow("{'n':3}"));
  }

  @Test
  void unnamedColumnUsesPostgresLabel() throws SQLException {
    String result = encode("SELECT 1");

    assertThat(result).isEqualTo(oneRow("{'?column?':1}"));
  }

  @Test
  void sqlNullOfAnyTypeIsNullWithKeyPresent() throws SQLException {
    String result =
        encode(
            "SELECT NULL::int4 AS i, NULL::text AS t, NULL::jsonb AS j, NULL::int4[] AS a,"
                + " NULL::bytea AS b, NULL::interval AS d, NULL::mood AS m, NULL AS u");

    assertThat(result)
        .isEqualTo(
            oneRow("{'i':null,'t':null,'j':null,'a':null,'b':null,'d':null,'m':null,'u':null}"));
  }

  @Test
  void booleansAreJsonBooleans() throws SQLException {
    String result = encode("SELECT true AS yes, false AS no");

    assertThat(result).isEqualTo(oneRow("{'yes':true,'no':false}"));
  }

  @Test
  void integersKeepTheirFullRange() throws SQLException {
    String result =
        encode(
            "SELECT (-32768)::int2 AS small, (-2147483648)::int4 AS regular,"
                + " 9223372036854775807::int8 AS big, (-9223372036854775807 - 1)::int8 AS least");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'small':-32768,'regular':-2147483648,"
                    + "'big':9223372036854775807,'least':-9223372036854775808}"));
  }

  @Test
  void serialAndIdentityColumnsAreIntegers() throws SQLException {
    encode(
        "CREATE TEMP TABLE counters (s serial, b bigserial, i int8 GENERATED ALWAYS AS IDENTITY)");
    encode("INSERT INTO counters DEFAULT VALUES");

    String result = encode("SELECT s, b, i FROM counters");

    assertThat(result).isEqualTo(oneRow("{'s':1,'b':1,'i':1}"));
  }

  @Test
  void floatsAreShortestRoundTripNumbersAndFloat4IsWidened() throws SQLException {
    String result =
        encode(
            "SELECT 3.14::float4 AS f4, 1.5::float8 AS f8, 0.1::float8 AS tenth,"
                + " 1e300::float8 AS huge, '-0'::float8 AS negative_zero");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'f4':3.140000104904175,'f8':1.5,'tenth':0.1,'huge':1.0E300,"
                    + "'negative_zero':-0.0}"));
  }

  @Test
  void nonFiniteFloatsAreNull() throws SQLException {
    String result =
        encode(
            "SELECT 'NaN'::float8 AS nan, 'Infinity'::float8 AS inf,"
                + " '-Infinity'::float4 AS minus_inf, 'NaN'::float4 AS nan4");

    assertThat(result).isEqualTo(oneRow("{'nan':null,'inf':null,'minus_inf':null,'nan4':null}"));
  }

  @Test
  void textTypesAreStrings() throws SQLException {
    String result =
        encode(
            "SELECT 'he said \"hi\"'::text AS t, 'ab'::varchar(5) AS v, 'ab'::char(4) AS c,"
                + " 'n'::name AS n, E'tab\\tline\\nü'::text AS escaped");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'t':'he said \\'hi\\'','v':'ab','c':'ab  ','n':'n','escaped':'tab\\tline\\nü'}"));
  }

  @Test
  void numericIsExactDecimalTextKeepingScale() throws SQLException {
    String result =
        encode(
            "SELECT 123456.78900000::numeric AS scaled, 0.000000001::numeric AS tiny,"
                + " 123456789012345678901234567890::numeric AS wide, (-1.50)::numeric(5, 2) AS neg");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'scaled':'123456.78900000','tiny':'0.000000001',"
                    + "'wide':'123456789012345678901234567890','neg':'-1.50'}"));
  }

  @Test
  void nonFiniteNumericsAreStrings() throws SQLException {
    String result =
        encode(
            "SELECT 'NaN'::numeric AS nan, 'Infinity'::numeric AS inf,"
                + " '-Infinity'::numeric AS minus_inf");

    assertThat(result).isEqualTo(oneRow("{'nan':'NaN','inf':'Infinity','minus_inf':'-Infinity'}"));
  }

  @Test
  void uuidIsLowercaseHyphenated() throws SQLException {
    String result = encode("SELECT 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid AS id");

    assertThat(result).isEqualTo(oneRow("{'id':'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'}"));
  }

  @Test
  void timestamptzIsRfc3339InUtcWithFractionOnlyWhenNonZero() throws SQLException {
    encode("SET TimeZone = 'Asia/Kolkata'");

    String result =
        encode(
            "SELECT '2024-06-15 12:30:00+00'::timestamptz AS whole,"
                + " '2024-06-15 18:00:00.5+05:30'::timestamptz AS half,"
                + " '2024-06-15 12:30:00.123456-02'::timestamptz AS micros,"
                + " '2024-06-15 12:30:00.12+00'::timestamptz AS centis");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'whole':'2024-06-15T12:30:00+00:00','half':'2024-06-15T12:30:00.500+00:00',"
                    + "'micros':'2024-06-15T14:30:00.123456+00:00',"
                    + "'centis':'2024-06-15T12:30:00.120+00:00'}"));
  }

  @Test
  void timestamptzConvertsOffsetsWithSecondsFromHistoricZones() throws SQLException {
    encode("SET TimeZone = 'Europe/Amsterdam'");

    String result = encode("SELECT '1900-01-01 00:00:00+00'::timestamptz AS old");

    assertThat(result).isEqualTo(oneRow("{'old':'1900-01-01T00:00:00+00:00'}"));
  }

  @Test
  void timestampHasNoOffsetAndTheSameFractionRule() throws SQLException {
    String result =
        encode(
            "SELECT '2024-06-15 12:30:00'::timestamp AS whole,"
                + " '2024-06-15 12:30:00.5'::timestamp AS half,"
                + " '2024-06-15 12:30:00.000001'::timestamp AS micro");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'whole':'2024-06-15T12:30:00','half':'2024-06-15T12:30:00.500',"
                    + "'micro':'2024-06-15T12:30:00.000001'}"));
  }

  @Test
  void dateIsIsoDate() throws SQLException {
    String result = encode("SELECT '2024-06-15'::date AS d, '0001-01-01'::date AS first");

    assertThat(result).isEqualTo(oneRow("{'d':'2024-06-15','first':'0001-01-01'}"));
  }

  @Test
  void yearsPastNineThousandNineHundredNinetyNineGetAPlusSign() throws SQLException {
    encode("SET TimeZone = 'UTC'");

    String result =
        encode(
            "SELECT '10000-01-01'::date AS d, '10000-01-01 00:00:00'::timestamp AS ts,"
                + " '10000-01-01 00:00:00+00'::timestamptz AS tz");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'d':'+10000-01-01','ts':'+10000-01-01T00:00:00',"
                    + "'tz':'+10000-01-01T00:00:00+00:00'}"));
  }

  @Test
  void infiniteAndBcDatesAndTimestampsKeepPostgresText() throws SQLException {
    encode("SET TimeZone = 'UTC'");

    String result =
        encode(
            "SELECT 'infinity'::timestamptz AS a, '-infinity'::timestamp AS b,"
                + " 'infinity'::date AS c, '0044-03-15 BC'::date AS d,"
                + " '0044-03-15 12:00:00 BC'::timestamp AS e,"
                + " '0044-03-15 12:00:00+00 BC'::timestamptz AS f");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'a':'infinity','b':'-infinity','c':'infinity','d':'0044-03-15 BC',"
                    + "'e':'0044-03-15 12:00:00 BC','f':'0044-03-15 12:00:00+00 BC'}"));
  }

  @Test
  void jsonAndJsonbAreNativeValues() throws SQLException {
    String result =
        encode(
            "SELECT '{\"b\": 1, \"a\": [1, 2.50, null, \"x\"]}'::json AS j,"
                + " '{\"b\": 1, \"a\": [1, 2.50, null, \"x\"]}'::jsonb AS jb,"
                + " '\"text\"'::jsonb AS s, '12345678901234567890.5'::json AS n");

    // json keeps the document's key order; jsonb keeps PostgreSQL's (shorter keys first).
    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'j':{'b':1,'a':[1,2.50,null,'x']},'jb':{'a':[1,2.50,null,'x'],'b':1},"
                    + "'s':'text','n':12345678901234567890.5}"));
  }

  @Test
  void voidIsNull() throws SQLException {
    String result = encode("SELECT pg_sleep(0) AS slept");

    assertThat(result).isEqualTo(oneRow("{'slept':null}"));
  }

  @Test
  void arraysAreJsonArraysWithNullElements() throws SQLException {
    String result =
        encode(
            "SELECT ARRAY[1, NULL, 3]::int4[] AS ints, '{}'::int8[] AS empty,"
                + " ARRAY[true, false] AS bools, ARRAY[1.5, 'NaN']::float8[] AS floats,"
                + " ARRAY[1.10, NULL]::numeric[] AS decimals");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'ints':[1,null,3],'empty':[],'bools':[true,false],"
                    + "'floats':[1.5,null],'decimals':['1.10',null]}"));
  }

  @Test
  void multiDimensionalArraysAreNestedArrays() throws SQLException {
    String result =
        encode(
            "SELECT ARRAY[[1, 2], [3, 4]] AS square, '[0:1]={5,6}'::int4[] AS shifted,"
                + " ARRAY[[['a']], [[NULL]]]::text[] AS cube");

    assertThat(result)
        .isEqualTo(oneRow("{'square':[[1,2],[3,4]],'shifted':[5,6],'cube':[[['a']],[[null]]]}"));
  }

  @Test
  void textArrayElementsAreUnquoted() throws SQLException {
    String result =
        encode(
            "SELECT ARRAY['a', 'b,c', 'say \"hi\"', 'back\\slash', 'NULL', NULL, '', ' {x} ']"
                + " AS words");

    assertThat(result)
        .isEqualTo(
            oneRow("{'words':['a','b,c','say \\'hi\\'','back\\\\slash','NULL',null,'',' {x} ']}"));
  }

  @Test
  void arrayElementsFollowTheirTypeRules() throws SQLException {
    encode("SET TimeZone = 'Europe/Berlin'");

    String result =
        encode(
            "SELECT ARRAY['2024-06-15 14:30:00.5+02']::timestamptz[] AS stamps,"
                + " ARRAY['{\"k\": [1]}', NULL]::jsonb[] AS docs,"
                + " ARRAY['\\x01ff'::bytea] AS blobs, ARRAY['1 day 02:00:00'::interval] AS spans,"
                + " ARRAY['happy', NULL]::mood[] AS moods, ARRAY[ROW(1, 'x')::pair] AS pairs,"
                + " ARRAY['2024-06-15'::date, 'infinity'] AS days, ARRAY[3.14::float4] AS f4");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'stamps':['2024-06-15T12:30:00.500+00:00'],'docs':[{'k':[1]},null],"
                    + "'blobs':['Af8='],'spans':['P1DT2H'],'moods':['happy',null],"
                    + "'pairs':['(1,x)'],'days':['2024-06-15','infinity'],"
                    + "'f4':[3.140000104904175]}"));
  }

  @Test
  void arraysOfTypesOffTheSearchPathAreArrays() throws SQLException {
    String result = encode("SELECT ARRAY['red', 'blue']::hidden.hue[] AS hues");

    assertThat(result).isEqualTo(oneRow("{'hues':['red','blue']}"));
  }

  @Test
  void boxArraysUseTheirSemicolonDelimiter() throws SQLException {
    String result = encode("SELECT ARRAY['(1,1),(0,0)'::box, '(2,2),(1,1)'::box] AS boxes");

    assertThat(result).isEqualTo(oneRow("{'boxes':['(1,1),(0,0)','(2,2),(1,1)']}"));
  }

  @Test
  void byteaIsPaddedBase64() throws SQLException {
    String result =
        encode("SELECT '\\x0001ff'::bytea AS bytes, ''::bytea AS empty, 'ab'::bytea AS two");

    assertThat(result).isEqualTo(oneRow("{'bytes':'AAH/','empty':'','two':'YWI='}"));
  }

  @Test
  void byteaInEscapeOutputIsDecodedToo() throws SQLException {
    encode("SET bytea_output = 'escape'");

    String result = encode("SELECT '\\x0001ff5c41'::bytea AS bytes");

    assertThat(result).isEqualTo(oneRow("{'bytes':'AAH/XEE='}"));
  }

  @Test
  void intervalIsIso8601Duration() throws SQLException {
    String result =
        encode(
            "SELECT '1 year 2 months 3 days 4 hours 5 minutes 6.5 seconds'::interval AS full,"
                + " '0'::interval AS zero, '-1 year -2 mons +3 days -04:05:06'::interval AS mixed,"
                + " '-0.25 seconds'::interval AS fraction, '100 hours'::interval AS hours");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'full':'P1Y2M3DT4H5M6.5S','zero':'PT0S','mixed':'P-1Y-2M3DT-4H-5M-6S',"
                    + "'fraction':'PT-0.25S','hours':'PT100H'}"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"postgres", "postgres_verbose", "sql_standard", "iso_8601"})
  void intervalMatchesPostgresIso8601OutputInEveryIntervalStyle(String style) throws SQLException {
    List<String> intervals =
        List.of(
            "0",
            "1 year",
            "-1 year",
            "14 months",
            "-14 months",
            "1 day",
            "-3 days",
            "1 second",
            "-0.000001 seconds",
            "1 year 2 mons 3 days 04:05:06.789",
            "-1 year -2 mons -3 days -04:05:06.789",
            "-1 year 2 mons",
            "1 year -2 mons -3 days +04:05:06",
            "3 days -04:05:06",
            "-3 days 04:05:06",
            "-3 days -04:05:06",
            "1 day -00:00:00.5",
            "2562047788 hours",
            "178000000 years");
    // Stored first: IntervalStyle also changes how interval input is read.
    encode("CREATE TEMP TABLE spans (n int4, v interval)");
    for (int i = 0; i < intervals.size(); i++) {
      encode("INSERT INTO spans VALUES (" + i + ", '" + intervals.get(i) + "')");
    }
    encode("SET IntervalStyle = 'iso_8601'");
    String expected = encode("SELECT v::text AS v FROM spans ORDER BY n");

    encode("SET IntervalStyle = '" + style + "'");
    String result = encode("SELECT v FROM spans ORDER BY n");

    assertThat(result).isEqualTo(expected);
  }

  @Test
  void timeAndTimetzAreTheirText() throws SQLException {
    String result =
        encode("SELECT '12:30:00.5'::time AS t, '12:30:00+02'::timetz AS tz, '24:00'::time AS end");

    assertThat(result).isEqualTo(oneRow("{'t':'12:30:00.5','tz':'12:30:00+02','end':'24:00:00'}"));
  }

  @Test
  void otherTypesAreTheirPostgresText() throws SQLException {
    String result =
        encode(
            "SELECT '192.168.0.1/24'::inet AS inet, '10.0.0.0/8'::cidr AS cidr,"
                + " '08:00:2b:01:02:03'::macaddr AS mac, 'happy'::mood AS mood,"
                + " ROW(1, 'a b')::pair AS pair, int4range(1, 5) AS range, 1259::oid AS oid,"
                + " '<a>x</a>'::xml AS xml, point(1, 2) AS point, 'a'::\"char\" AS ch,"
                + " 'int4'::regtype AS regtype");

    assertThat(result)
        .isEqualTo(
            oneRow(
                "{'inet':'192.168.0.1/24','cidr':'10.0.0.0/8','mac':'08:00:2b:01:02:03',"
                    + "'mood':'happy','pair':'(1,\\'a b\\')','range':'[1,5)','oid':'1259',"
                    + "'xml':'<a>x</a>','point':'(1,2)','ch':'a','regtype':'integer'}"));
  }

  @Test
  void moneyIsItsPostgresText() throws SQLException {
    encode("SET lc_monetary = 'C'");

    String result = encode("SELECT 1234.5::money AS price");

    assertThat(result).isEqualTo(oneRow("{'price':'$1,234.50'}"));
  }

  @Test
  void domainsAreEncodedAsTheirBaseType() throws SQLException {
    String result = encode("SELECT 5::positive AS p, 'x'::label AS l, 3.5::price AS price");

    assertThat(result).isEqualTo(oneRow("{'p':5,'l':'x','price':'3.50'}"));
  }

  @Test
  void binaryTransferGivesTheSameJsonAsText() throws SQLException {
    String query =
        "SELECT 1::int4 AS i, 3.14::float4 AS f, 0.000000001000::numeric AS n, '\\x01ff'::bytea AS b,"
            + " '2024-06-15 12:30:00.5+00'::timestamptz AS tz, '2024-06-15 12:30:00'::timestamp AS ts,"
            + " '-infinity'::date AS d, ARRAY[1, NULL]::int4[] AS ints, ARRAY['\\x01'::bytea] AS blobs,"
            + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, ARRAY[1.5]::float8[] AS floats";
    String text = encodePrepared(connection, query);

    String binary;
    try (Connection forcedBinary =
        DriverManager.getConnection(
            postgres.getJdbcUrl("postgres", "postgres") + "&prepareThreshold=-1")) {
      binary = encodePrepared(forcedBinary, query);
    }

    assertThat(binary)
        .isEqualTo(text)
        .isEqualTo(
            oneRow(
                "{'i':1,'f':3.140000104904175,'n':'0.000000001000','b':'Af8=',"
                    + "'tz':'2024-06-15T12:30:00.500+00:00','ts':'2024-06-15T12:30:00',"
                    + "'d':'-infinity','ints':[1,null],'blobs':['AQ=='],"
                    + "'u':'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11','floats':[1.5]}"));
  }

  @Test
  void encodeTreeKeepsSelectListOrder() throws SQLException {
    ObjectNode tree;
    try (Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("SELECT 2 AS b, 1 AS a")) {
      tree = RowsEncoder.encodeTree(rs);
    }

    assertThat(tree.get("row_count").asInt()).isEqualTo(1);
    assertThat(tree.get("rows").get(0).fieldNames()).toIterable().containsExactly("b", "a");
  }

  @Test
  void encodingLeavesSessionSettingsAlone() throws SQLException {
    encode("SET TimeZone = 'Asia/Tokyo'");
    encode("SET IntervalStyle = 'sql_standard'");

    encode("SELECT now() AS t, '1 day'::interval AS i, '\\x00'::bytea AS b");

    assertThat(
            encode(
                "SELECT current_setting('TimeZone') AS z, current_setting('IntervalStyle') AS s"))
        .isEqualTo(oneRow("{'z':'Asia/Tokyo','s':'sql_standard'}"));
  }

  private String encode(String sql) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      if (!statement.execute(sql)) {
        return RowsEncoder.empty();
      }
      try (ResultSet rs = statement.getResultSet()) {
        return RowsEncoder.encode(rs);
      }
    }
  }

  private static String encodePrepared(Connection on, String query) throws SQLException {
    try (PreparedStatement statement = on.prepareStatement(query);
        ResultSet rs = statement.executeQuery()) {
      return RowsEncoder.encode(rs);
    }
  }

  /** Single quotes stand for double quotes, so expected JSON reads without escapes. */
  private static String json(String singleQuoted) {
    return singleQuoted.replace('\'', '"');
  }

  private static String oneRow(String row) {
    return json("{'rows':[" + row + "],'row_count':1}");
  }
}
