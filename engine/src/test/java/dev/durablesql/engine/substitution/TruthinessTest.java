package dev.durablesql.engine.substitution;

import static dev.durablesql.engine.substitution.Truthiness.isTruthy;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TruthinessTest {

  @Test
  void rowSetWithoutRowsIsFalse() {
    assertThat(isTruthy("{\"rows\":[],\"row_count\":0}")).isFalse();
  }

  @Test
  void rowSetIsJudgedByTheFirstColumnInSelectListOrder() {
    assertThat(isTruthy("{\"rows\":[{\"b\":0,\"a\":1}],\"row_count\":1}")).isFalse();
    assertThat(isTruthy("{\"rows\":[{\"a\":1,\"b\":0}],\"row_count\":1}")).isTrue();
  }

  @Test
  void rowSetIsJudgedByItsFirstRowOnly() {
    assertThat(isTruthy("{\"rows\":[{\"ok\":false},{\"ok\":true}],\"row_count\":2}")).isFalse();
    assertThat(isTruthy("{\"rows\":[{\"ok\":true},{\"ok\":false}],\"row_count\":2}")).isTrue();
  }

  @Test
  void firstRowWithoutColumnsFallsThroughToTheNonEmptyResultObject() {
    assertThat(isTruthy("{\"rows\":[{}],\"row_count\":1}")).isTrue();
  }

  @Test
  void firstColumnGetsValueTruthiness() {
    assertThat(isTruthy(row("true"))).isTrue();
    assertThat(isTruthy(row("false"))).isFalse();
    assertThat(isTruthy(row("null"))).isFalse();
    assertThat(isTruthy(row("0"))).isFalse();
    assertThat(isTruthy(row("0.000"))).isFalse();
    assertThat(isTruthy(row("-0.0"))).isFalse();
    assertThat(isTruthy(row("42"))).isTrue();
    assertThat(isTruthy(row("-0.5"))).isTrue();
    assertThat(isTruthy(row("[]"))).isFalse();
    assertThat(isTruthy(row("[0]"))).isTrue();
    assertThat(isTruthy(row("{}"))).isFalse();
    assertThat(isTruthy(row("{\"k\":false}"))).isTrue();
    assertThat(isTruthy(row("\"no\""))).isFalse();
    assertThat(isTruthy(row("\"yes\""))).isTrue();
  }

  @Test
  void numericColumnsEncodedAsStringsAreParsedAsFloats() {
    assertThat(isTruthy(row("\"0.00000\""))).isFalse();
    assertThat(isTruthy(row("\"123456.78900000\""))).isTrue();
  }

  @Test
  void stringsAreTrimmedAndLowerCasedBeforeTheBooleanWords() {
    assertThat(isTruthy(string("true"))).isTrue();
    assertThat(isTruthy(string(" TRUE "))).isTrue();
    assertThat(isTruthy(string("t"))).isTrue();
    assertThat(isTruthy(string("Yes"))).isTrue();
    assertThat(isTruthy(string("false"))).isFalse();
    assertThat(isTruthy(string("\\tFALSE\\n"))).isFalse();
    assertThat(isTruthy(string("F"))).isFalse();
    assertThat(isTruthy(string("NO"))).isFalse();
  }

  @Test
  void emptyAndBlankStringsAreFalse() {
    assertThat(isTruthy(string(""))).isFalse();
    assertThat(isTruthy(string("   "))).isFalse();
  }

  @Test
  void stringsThatParseAsFloatsAreTrueUnlessZero() {
    assertThat(isTruthy(string("0"))).isFalse();
    assertThat(isTruthy(string("0.0"))).isFalse();
    assertThat(isTruthy(string("-0"))).isFalse();
    assertThat(isTruthy(string("+0."))).isFalse();
    assertThat(isTruthy(string(".0"))).isFalse();
    assertThat(isTruthy(string("0E10"))).isFalse();
    assertThat(isTruthy(string("1"))).isTrue();
    assertThat(isTruthy(string("1e-3"))).isTrue();
    assertThat(isTruthy(string("NaN"))).isTrue();
    assertThat(isTruthy(string("inf"))).isTrue();
  }

  @Test
  void otherNonEmptyStringsAreTrue() {
    assertThat(isTruthy(string("off"))).isTrue();
    assertThat(isTruthy(string("n"))).isTrue();
    assertThat(isTruthy(string("nope"))).isTrue();
    // Java's float parser would read these as zero; the reference's does not.
    assertThat(isTruthy(string("0d"))).isTrue();
    assertThat(isTruthy(string("0x0p0"))).isTrue();
  }

  @Test
  void trimmingRemovesUnicodeWhiteSpaceOnly() {
    assertThat(isTruthy(string("\\u00a0false\\u3000"))).isFalse();
    assertThat(isTruthy(string("\\u0085no"))).isFalse();
    // U+001F is not White_Space, so this is neither "false" nor blank.
    assertThat(isTruthy(string("\\u001ffalse"))).isTrue();
  }

  @Test
  void jsonWithoutRowsIsJudgedAsAWholeValue() {
    assertThat(isTruthy("{\"slept\": true, \"seconds\": 1}")).isTrue();
    assertThat(isTruthy("{}")).isFalse();
    assertThat(isTruthy("{\"rows\":5}")).isTrue();
    assertThat(isTruthy("[{\"rows\":[],\"row_count\":0}]")).isTrue();
    assertThat(isTruthy("[]")).isFalse();
    assertThat(isTruthy("null")).isFalse();
    assertThat(isTruthy("false")).isFalse();
    assertThat(isTruthy("true")).isTrue();
    assertThat(isTruthy("0")).isFalse();
    assertThat(isTruthy(" 0.0 ")).isFalse();
    assertThat(isTruthy("7")).isTrue();
    assertThat(isTruthy("\"done\"")).isTrue();
    assertThat(isTruthy("\"0\"")).isFalse();
  }

  @Test
  void signalAndHttpResultsAreNonEmptyObjects() {
    assertThat(isTruthy("{\"signal_name\":\"go\",\"timed_out\":true,\"data\":null}")).isTrue();
    assertThat(
            isTruthy(
                "{\"status\":404,\"body\":\"\",\"encoding\":\"text\",\"headers\":{},"
                    + "\"ok\":false,\"duration_ms\":3}"))
        .isTrue();
  }

  @Test
  void textThatIsNotJsonIsJudgedAsAString() {
    assertThat(isTruthy("yes")).isTrue();
    assertThat(isTruthy(" no ")).isFalse();
    assertThat(isTruthy("f")).isFalse();
    assertThat(isTruthy("NaN")).isTrue();
    assertThat(isTruthy("off")).isTrue();
    assertThat(isTruthy("")).isFalse();
    assertThat(isTruthy("  ")).isFalse();
    assertThat(isTruthy("SQL execution failed: division by zero")).isTrue();
  }

  @Test
  void jsonFollowedByOtherTextIsNotJson() {
    assertThat(isTruthy("0 apples")).isTrue();
    assertThat(isTruthy("{\"rows\":[]} x")).isTrue();
  }

  private static String row(String firstColumn) {
    return "{\"rows\":[{\"v\":" + firstColumn + ",\"w\":true}],\"row_count\":1}";
  }

  private static String string(String jsonContent) {
    return "\"" + jsonContent + "\"";
  }
}
