package dev.durablesql.engine.substitution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.substitution.Substitution.Mode;
import dev.durablesql.engine.substitution.Substitution.Variables;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class SubstitutionTest {
  private static final Variables VARIABLES =
      new Variables(
          "a1b2c3d4",
          "nightly",
          Map.of(
              "name", "Alice",
              "table", "public.orders",
              "ref", "$total",
              "brace", "{name}",
              "quote", "O'Brien"));

  private static final String HTTP_ENVELOPE =
      "{\"status\":200,\"body\":\"{\\\"id\\\":7}\",\"encoding\":\"text\","
          + "\"headers\":{\"content-type\":\"application/json\"},\"ok\":true,\"duration_ms\":12}";

  private static final Map<String, String> RESULTS =
      Map.ofEntries(
          Map.entry("total", "{\"rows\":[{\"total\":42,\"n\":\"x\"}],\"row_count\":1}"),
          Map.entry("greeting", "{\"rows\":[{\"g\":\"it's\"}],\"row_count\":1}"),
          Map.entry("flag", "{\"rows\":[{\"f\":false}],\"row_count\":1}"),
          Map.entry("doc", "{\"rows\":[{\"d\":{\"k\":[1,2]}}],\"row_count\":1}"),
          Map.entry("document", "{\"rows\":[{\"title\":\"Spec\"}],\"row_count\":1}"),
          Map.entry("price", "{\"rows\":[{\"p\":19.90,\"q\":1.0E+20}],\"row_count\":1}"),
          Map.entry("big", "{\"rows\":[{\"b\":123456789012345678901234567890}],\"row_count\":1}"),
          Map.entry("path", "{\"rows\":[{\"p\":\"C:\\\\dir\"}],\"row_count\":1}"),
          Map.entry("ordered", "{\"rows\":[{\"z\":1,\"a\":2}],\"row_count\":1}"),
          Map.entry("empty", "{\"rows\":[],\"row_count\":0}"),
          Map.entry("nothing", "{\"rows\":[{\"a\":null,\"b\":1}],\"row_count\":1}"),
          Map.entry("columnless", "{\"rows\":[{}],\"row_count\":1}"),
          Map.entry("note", "cost is 'high' $total"),
          Map.entry(
              "joined",
              "[{\"rows\":[{\"a\":1}],\"row_count\":1},{\"rows\":[{\"b\":2}],\"row_count\":1}]"),
          Map.entry("resp", HTTP_ENVELOPE),
          Map.entry(
              "sig", "{\"signal_name\":\"approve\",\"timed_out\":false,\"data\":{\"amt\":5}}"),
          Map.entry("late", "{\"signal_name\":\"approve\",\"timed_out\":true,\"data\":null}"),
          Map.entry("done", "\"done\""),
          Map.entry("stop", "{\"reason\":\"it's done\",\"count\":3}"),
          Map.entry("a", "{\"rows\":[{\"v\":\"short\"}],\"row_count\":1}"),
          Map.entry("ab", "{\"rows\":[{\"v\":\"long\"}],\"row_count\":1}"));

  private static String sql(String text) {
    return new Substitution(VARIABLES, RESULTS).substitute(text, Mode.SQL);
  }

  private static String raw(String text) {
    return new Substitution(VARIABLES, RESULTS).substitute(text, Mode.RAW);
  }

  @Nested
  class VariableReferences {

    @Test
    void insertsValuesRawWithoutQuoting() {
      assertThat(sql("SELECT * FROM {table} WHERE owner = '{quote}'"))
          .isEqualTo("SELECT * FROM public.orders WHERE owner = 'O'Brien'");
    }

    @Test
    void insertsTheSystemVariables() {
      assertThat(sql("{sys_instance_id}/{sys_label}")).isEqualTo("a1b2c3d4/nightly");
    }

    @Test
    void insertsAnEmptyLabelWhenTheInstanceHasNone() {
      Substitution substitution =
          new Substitution(new Variables("a1b2c3d4", "", Map.of()), Map.of());

      assertThat(substitution.substitute("[{sys_label}]", Mode.RAW)).isEqualTo("[]");
    }

    @Test
    void systemVariablesWinOverSnapshotEntriesOfTheSameName() {
      Substitution substitution =
          new Substitution(
              new Variables("a1b2c3d4", "l", Map.of("sys_instance_id", "forged")), Map.of());

      assertThat(substitution.substitute("{sys_instance_id}", Mode.SQL)).isEqualTo("a1b2c3d4");
    }

    @Test
    void leavesUnknownAndNonIdentifierCandidatesAsWritten() {
      Substitution substitution =
          new Substitution(new Variables("i", "l", Map.of("my-var", "x", "1st", "y")), Map.of());

      assertThat(substitution.substitute("{missing} {my-var} {1st} {} { name }", Mode.SQL))
          .isEqualTo("{missing} {my-var} {1st} {} { name }");
    }

    @Test
    void substitutesAReferenceNestedInAnOuterBrace() {
      assertThat(sql("SELECT '{\"user\":\"{name}\"}'::jsonb"))
          .isEqualTo("SELECT '{\"user\":\"Alice\"}'::jsonb");
      assertThat(raw("{\"a\":{\"b\":\"{name}\"}}")).isEqualTo("{\"a\":{\"b\":\"Alice\"}}");
      assertThat(raw("{x{name}}")).isEqualTo("{xAlice}");
    }

    @Test
    void leavesJsonWithoutReferencesUnchanged() {
      assertThat(raw("{\"a\":{\"b\":1},\"c\":[{}]}")).isEqualTo("{\"a\":{\"b\":1},\"c\":[{}]}");
    }

    @Test
    void resumesAfterTheClosingBrace() {
      assertThat(raw("a}b{name}{name}c}")).isEqualTo("a}bAliceAlicec}");
    }

    @Test
    void stopsAtAnOpeningBraceWithoutAClosingOne() {
      assertThat(raw("{name} {unterminated {name")).isEqualTo("Alice {unterminated {name");
    }

    @Test
    void doesNotRescanInsertedBraces() {
      assertThat(raw("{brace}")).isEqualTo("{name}");
    }

    @Test
    void resultReferencesInsertedByAVariableAreSubstituted() {
      assertThat(sql("SELECT {ref}")).isEqualTo("SELECT 42");
    }
  }

  @Nested
  class ScalarReferences {

    @Test
    void readsTheFirstColumnOfTheFirstRow() {
      assertThat(sql("SELECT $total + 1")).isEqualTo("SELECT 42 + 1");
    }

    @Test
    void takesTheFirstColumnInSelectListOrderNotSortedOrder() {
      assertThat(sql("$ordered")).isEqualTo("1");
    }

    @Test
    void quotesStringsWithSingleQuotesDoubledInSqlMode() {
      assertThat(sql("SELECT $greeting")).isEqualTo("SELECT 'it''s'");
    }

    @Test
    void leavesBackslashesAloneInSqlMode() {
      assertThat(sql("$path")).isEqualTo("'C:\\dir'");
    }

    @Test
    void writesNumbersAsTheirExactJsonText() {
      assertThat(sql("$price")).isEqualTo("19.90");
      assertThat(sql("$big")).isEqualTo("123456789012345678901234567890");
      assertThat(sql("$price.q")).isEqualTo("1.0E+20");
    }

    @Test
    void writesBooleansBare() {
      assertThat(sql("$flag")).isEqualTo("false");
      assertThat(raw("$flag")).isEqualTo("false");
    }

    @Test
    void quotesObjectsAndArraysAsJsonTextInSqlMode() {
      assertThat(sql("$doc")).isEqualTo("'{\"k\":[1,2]}'");
    }

    @Test
    void writesValuesRawInRawMode() {
      assertThat(raw("$greeting|$doc|$total|$path")).isEqualTo("it's|{\"k\":[1,2]}|42|C:\\dir");
    }

    @Test
    void failsOnARowSetWithoutRows() {
      assertThatThrownBy(() -> sql("SELECT $empty"))
          .isInstanceOf(SubstitutionException.class)
          .hasMessage("$empty has no rows; use $empty? to substitute NULL instead");
    }

    @Test
    void failsOnANullFirstColumn() {
      assertThatThrownBy(() -> raw("$nothing"))
          .isInstanceOf(SubstitutionException.class)
          .hasMessage(
              "$nothing is NULL (the first column of its first row);"
                  + " use $nothing? to substitute NULL instead");
    }

    @Test
    void treatsAFirstRowWithoutColumnsAsNull() {
      assertThatThrownBy(() -> sql("$columnless")).hasMessageContaining("$columnless is NULL");
      assertThat(sql("$columnless?")).isEqualTo("NULL");
    }

    @Test
    void nullSafeReferencesBecomeTheWordNullInBothModes() {
      assertThat(sql("SELECT $empty?, $nothing?")).isEqualTo("SELECT NULL, NULL");
      assertThat(raw("$empty?/$nothing?")).isEqualTo("NULL/NULL");
    }

    @Test
    void nullSafeReferencesWithAValueGiveTheValue() {
      assertThat(sql("$total?")).isEqualTo("42");
    }

    @Test
    void insertsTextThatIsNotJsonAsItIs() {
      assertThat(sql("SELECT $note")).isEqualTo("SELECT 'cost is ''high'' $total'");
      assertThat(raw("$note")).isEqualTo("cost is 'high' $total");
    }

    @Test
    void insertsJsonWithoutRowsWhole() {
      assertThat(sql("SELECT $joined::jsonb"))
          .isEqualTo(
              "SELECT '[{\"rows\":[{\"a\":1}],\"row_count\":1},"
                  + "{\"rows\":[{\"b\":2}],\"row_count\":1}]'::jsonb");
      assertThat(raw("$resp")).isEqualTo(HTTP_ENVELOPE);
    }

    @Test
    void insertsAStringBreakValueWithItsJsonQuotes() {
      assertThat(sql("$done")).isEqualTo("'\"done\"'");
      assertThat(raw("$done")).isEqualTo("\"done\"");
    }

    @Test
    void quotesJsonWithoutRowsWithSingleQuotesDoubled() {
      assertThat(sql("$stop")).isEqualTo("'{\"reason\":\"it''s done\",\"count\":3}'");
    }
  }

  @Nested
  class ReferenceScanning {

    @Test
    void prefersTheLongestKnownName() {
      assertThat(sql("$document")).isEqualTo("'Spec'");
      assertThat(sql("$ab $a")).isEqualTo("'long' 'short'");
    }

    @Test
    void triesShorterNamesWhenALongerOneDoesNotEndTheReference() {
      Substitution substitution = new Substitution(VARIABLES, Map.of("doc", RESULTS.get("total")));

      assertThat(substitution.substitute("$document $doc", Mode.SQL)).isEqualTo("$document 42");
    }

    @Test
    void leavesUnknownNamesPositionalParametersAndDollarQuotesUnchanged() {
      assertThat(sql("SELECT $1, $unknown, $$body$$, $, $_x"))
          .isEqualTo("SELECT $1, $unknown, $$body$$, $, $_x");
    }

    @Test
    void substitutesInsideLiteralsCommentsAndDollarQuotedBodies() {
      assertThat(sql("SELECT '$total' -- $total\nDO $$ BEGIN PERFORM $total; END $$"))
          .isEqualTo("SELECT '42' -- 42\nDO $$ BEGIN PERFORM 42; END $$");
    }

    @Test
    void endsAReferenceAtAnyCharacterOutsideTheIdentifierSet() {
      assertThat(sql("$total::int,($total)$total-$total. $total"))
          .isEqualTo("42::int,(42)42-42. 42");
      assertThat(sql("$totalé")).isEqualTo("42é");
    }

    @Test
    void aDotNotFollowedByAnIdentifierEndsAScalar() {
      assertThat(sql("$total.5")).isEqualTo("42.5");
    }

    @Test
    void aQuestionMarkEndsANullSafeScalarEvenBeforeAWord() {
      assertThat(sql("$total?x")).isEqualTo("42x");
    }

    @Test
    void doesNotRescanInsertedText() {
      Substitution substitution =
          new Substitution(
              VARIABLES, Map.of("template", "{\"rows\":[{\"t\":\"$template\"}],\"row_count\":1}"));

      assertThat(substitution.substitute("$template", Mode.RAW)).isEqualTo("$template");
    }

    @Test
    void aSecondDollarStartsTheReference() {
      assertThat(sql("$$total")).isEqualTo("$42");
    }

    @Test
    void ignoresResultNamesThatAreNotIdentifiers() {
      Map<String, String> results = new HashMap<>();
      results.put("", RESULTS.get("total"));
      results.put("not-a-name", RESULTS.get("total"));

      Substitution substitution = new Substitution(VARIABLES, results);

      assertThat(substitution.substitute("$ $not-a-name", Mode.SQL)).isEqualTo("$ $not-a-name");
    }
  }

  @Nested
  class FieldReferences {

    @Test
    void readsAColumnOfTheFirstRow() {
      assertThat(sql("$total.n $total.total")).isEqualTo("'x' 42");
      assertThat(raw("$total.n")).isEqualTo("x");
    }

    @Test
    void readsTopLevelFieldsOfAnHttpEnvelope() {
      assertThat(sql("$resp.status $resp.ok $resp.body $resp.headers"))
          .isEqualTo("200 true '{\"id\":7}' '{\"content-type\":\"application/json\"}'");
      assertThat(raw("$resp.body")).isEqualTo("{\"id\":7}");
    }

    @Test
    void readsFieldsOfSignalResultsAndBreakObjects() {
      assertThat(sql("$sig.data $sig.signal_name $stop.count"))
          .isEqualTo("'{\"amt\":5}' 'approve' 3");
    }

    @Test
    void leavesAMissingColumnAsWrittenInSqlMode() {
      assertThat(sql("SELECT $total.missing, $total.row_count"))
          .isEqualTo("SELECT $total.missing, $total.row_count");
    }

    @Test
    void failsOnAMissingFieldInRawModeListingTheAvailableFieldsSorted() {
      assertThatThrownBy(() -> raw("$resp.stauts"))
          .isInstanceOf(SubstitutionException.class)
          .hasMessage(
              "$resp.stauts cannot be read: result 'resp' has no field 'stauts';"
                  + " available fields: body, duration_ms, encoding, headers, ok, status");
    }

    @Test
    void rowCountIsNotAddressable() {
      assertThatThrownBy(() -> raw("$total.row_count"))
          .hasMessageEndingWith("has no field 'row_count'; available fields: n, total");
    }

    @Test
    void leavesANullSafeMissingFieldAsWrittenInBothModes() {
      assertThat(sql("$total.missing?")).isEqualTo("$total.missing?");
      assertThat(raw("$resp.missing?")).isEqualTo("$resp.missing?");
    }

    @Test
    void failsOnANullField() {
      assertThatThrownBy(() -> sql("$nothing.a"))
          .isInstanceOf(SubstitutionException.class)
          .hasMessage("$nothing.a is NULL; use $nothing.a? to substitute NULL instead");
      assertThatThrownBy(() -> raw("$late.data")).hasMessageStartingWith("$late.data is NULL");
    }

    @Test
    void nullSafeFieldsGiveNullOrTheirValue() {
      assertThat(sql("$nothing.a? $nothing.b? $late.data?")).isEqualTo("NULL 1 NULL");
    }

    @Test
    void failsOnAFieldOfARowSetWithoutRows() {
      assertThatThrownBy(() -> sql("$empty.a"))
          .hasMessage("$empty has no rows; use $empty.a? to substitute NULL instead");
      assertThat(sql("$empty.a?")).isEqualTo("NULL");
    }

    @Test
    void failsOnAFieldOfTextThatIsNotJson() {
      assertThatThrownBy(() -> sql("$note.a?"))
          .isInstanceOf(SubstitutionException.class)
          .hasMessage("$note.a cannot be read: result 'note' is not JSON");
    }

    @Test
    void failsOnAFieldOfJsonThatIsNeitherARowSetNorAnObject() {
      assertThatThrownBy(() -> sql("$joined.a"))
          .hasMessage(
              "$joined.a cannot be read: result 'joined' is neither a row set nor a JSON object");
      assertThatThrownBy(() -> raw("$done.x?"))
          .hasMessageContaining("neither a row set nor a JSON object");
    }

    @Test
    void listsNoFieldsForARowWithoutColumns() {
      assertThatThrownBy(() -> raw("$columnless.a"))
          .hasMessageEndingWith("available fields: (none)");
    }
  }

  @Nested
  class RowSetExpansions {
    private static final String ITEMS =
        "{\"rows\":["
            + "{\"id\":1,\"name\":\"a'b\",\"ok\":true,\"meta\":{\"k\":1},\"gone\":null},"
            + "{\"id\":2.50,\"name\":\"c\",\"ok\":false,\"meta\":[1],\"gone\":null}"
            + "],\"row_count\":2}";

    private static Substitution with(String name, String result) {
      return new Substitution(VARIABLES, Map.of(name, result));
    }

    @Test
    void expandsRowsIntoAValuesList() {
      String expanded = with("items", ITEMS).substitute("SELECT * FROM $items.*", Mode.SQL);

      assertThat(expanded)
          .isEqualTo(
              "SELECT * FROM (VALUES (1,'a''b'::text,true,'{\"k\":1}'::text,NULL),"
                  + " (2.50,'c'::text,false,'[1]'::text,NULL))"
                  + " AS \"items\"(\"id\", \"name\", \"ok\", \"meta\", \"gone\")");
    }

    @Test
    void takesColumnsFromTheFirstRowAndFillsMissingOnesWithNull() {
      String result = "{\"rows\":[{\"a\":\"x\",\"b\":1},{\"b\":2,\"c\":3}],\"row_count\":2}";

      assertThat(with("r", result).substitute("$r.*", Mode.SQL))
          .isEqualTo("(VALUES ('x'::text,1), (NULL,2)) AS \"r\"(\"a\", \"b\")");
    }

    @Test
    void doublesDoubleQuotesInColumnNames() {
      String result = "{\"rows\":[{\"say \\\"hi\\\"\":\"2024-06-15\"}],\"row_count\":1}";

      assertThat(with("r", result).substitute("$r.*", Mode.SQL))
          .isEqualTo("(VALUES ('2024-06-15'::text)) AS \"r\"(\"say \"\"hi\"\"\")");
    }

    @Test
    void expandsZeroRowsIntoAnEmptySelect() {
      assertThat(sql("SELECT * FROM $empty.*"))
          .isEqualTo("SELECT * FROM (SELECT NULL WHERE false) AS \"empty\"");
    }

    @Test
    void expandsIntoTheJsonArrayOfRowsInRawMode() {
      assertThat(with("items", ITEMS).substitute("$items.*", Mode.RAW))
          .isEqualTo(
              "[{\"id\":1,\"name\":\"a'b\",\"ok\":true,\"meta\":{\"k\":1},\"gone\":null},"
                  + "{\"id\":2.50,\"name\":\"c\",\"ok\":false,\"meta\":[1],\"gone\":null}]");
      assertThat(raw("$empty.*")).isEqualTo("[]");
    }

    @Test
    void expandsTenThousandRows() {
      String expanded = with("r", rows(10_000)).substitute("$r.*", Mode.SQL);

      assertThat(expanded).startsWith("(VALUES (0), (1), ").endsWith(", (9999)) AS \"r\"(\"n\")");
    }

    @Test
    void failsOnMoreThanTenThousandRows() {
      assertThatThrownBy(() -> with("r", rows(10_001)).substitute("$r.*", Mode.RAW))
          .isInstanceOf(SubstitutionException.class)
          .hasMessage(
              "$r.* cannot expand result 'r': it has 10001 rows,"
                  + " more than the 10000 a row-set expansion allows");
    }

    @Test
    void failsOnAResultWithoutRows() {
      assertThatThrownBy(() -> sql("$resp.*"))
          .isInstanceOf(SubstitutionException.class)
          .hasMessage(
              "$resp.* needs a row set, but result 'resp' is not a JSON object with a \"rows\""
                  + " array");
      assertThatThrownBy(() -> raw("$note.*")).hasMessageContaining("needs a row set");
    }

    private static String rows(int count) {
      StringBuilder rows = new StringBuilder("{\"rows\":[");
      for (int n = 0; n < count; n++) {
        rows.append(n == 0 ? "" : ",").append("{\"n\":").append(n).append('}');
      }
      return rows.append("],\"row_count\":").append(count).append('}').toString();
    }
  }

  @Nested
  class WholeValueReferences {
    private final Substitution substitution =
        new Substitution(
            new Variables("i", "", Map.of("payload", "SGVsbG8=")),
            Map.of(
                "file", "{\"rows\":[{\"data\":\"UERG\",\"none\":null}],\"row_count\":1}",
                "blob", "QUJD"));

    @Test
    void substitutesAValueThatIsOneReference() {
      assertThat(substitution.substituteWholeValue("data_b64", "$file")).isEqualTo("UERG");
      assertThat(substitution.substituteWholeValue("data_b64", "$blob?")).isEqualTo("QUJD");
      assertThat(substitution.substituteWholeValue("data_b64", "$file.data")).isEqualTo("UERG");
      assertThat(substitution.substituteWholeValue("data_b64", "$file.none?")).isEqualTo("NULL");
      assertThat(substitution.substituteWholeValue("data_b64", "{payload}")).isEqualTo("SGVsbG8=");
    }

    @Test
    void trimsTheValueBeforeCheckingIt() {
      assertThat(substitution.substituteWholeValue("data_b64", " \n$file.data\t"))
          .isEqualTo("UERG");
    }

    @Test
    void returnsAValueWithoutReferencesUnchanged() {
      assertThat(substitution.substituteWholeValue("data_b64", " SGVs\nbG8= "))
          .isEqualTo(" SGVs\nbG8= ");
    }

    @Test
    void failsOnAReferenceMixedWithOtherText() {
      assertThatThrownBy(() -> substitution.substituteWholeValue("data_b64 of part 'f'", "QU$file"))
          .isInstanceOf(SubstitutionException.class)
          .hasMessage(
              "data_b64 of part 'f' must be a whole-value reference ($name, $name?, $name.column,"
                  + " $name.column? or {variable}) when it contains '$' or '{', but is 'QU$file'");
    }

    @Test
    void failsOnEveryOtherUseOfDollarOrBrace() {
      for (String value : new String[] {"$file.*", "{payload}{payload}", "$file $blob", "{", "$"}) {
        assertThatThrownBy(() -> substitution.substituteWholeValue("data_b64", value))
            .as(value)
            .hasMessageContaining("whole-value reference");
      }
    }

    @Test
    void shortensALongValueInTheMessage() {
      String value = "$" + "A".repeat(200) + "!";

      assertThatThrownBy(() -> substitution.substituteWholeValue("data_b64", value))
          .hasMessageEndingWith("but is '$" + "A".repeat(79) + "…' (202 characters)");
    }

    @Test
    void passesFailuresOfTheReferenceOn() {
      assertThatThrownBy(() -> substitution.substituteWholeValue("data_b64", "$file.none"))
          .hasMessageStartingWith("$file.none is NULL");
    }
  }
}
