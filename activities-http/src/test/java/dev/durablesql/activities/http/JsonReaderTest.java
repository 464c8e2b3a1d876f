package dev.durablesql.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonReaderTest {

  @Test
  void readsEveryKindOfValue() throws Exception {
    Object value =
        JsonReader.parse(
            " {\"s\":\"a\",\"i\":-12,\"d\":0.25,\"e\":1E-3,\"t\":true,\"f\":false,\"n\":null,"
                + "\"a\":[1,[],{}]} ");

    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("s", "a");
    expected.put("i", -12L);
    expected.put("d", 0.25);
    expected.put("e", 0.001);
    expected.put("t", true);
    expected.put("f", false);
    expected.put("n", null);
    expected.put("a", List.of(1L, List.of(), Map.of()));
    assertThat(value).isEqualTo(expected);
    assertThat(new ArrayList<Object>(((Map<?, ?>) value).keySet()))
        .containsExactly("s", "i", "d", "e", "t", "f", "n", "a");
  }

  @Test
  void readsEscapesAndSurrogatePairs() throws Exception {
    Object value = JsonReader.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00\"");

    assertThat(value).isEqualTo("q\" b\\ s/ \b\f\n\r\t \u00e9 \ud83d\ude00");
  }

  @Test
  void readsIntegersTooLargeForALongAsDoubles() throws Exception {
    assertThat(JsonReader.parse("123456789012345678901234"))
        .isEqualTo(Double.parseDouble("123456789012345678901234"));
    assertThat(JsonReader.parse("-999999999999999999")).isEqualTo(-999999999999999999L);
  }

  @Test
  void keepsTheLastOfDuplicateKeys() throws Exception {
    assertThat(JsonReader.parse("{\"a\":1,\"a\":2}")).isEqualTo(Map.of("a", 2L));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "[",
        "[1,]",
        "[1 2]",
        "{\"a\" 1}",
        "{a:1}",
        "\"open",
        "\"tab\there\"",
        "\"\\x\"",
        "\"\\u12\"",
        "01",
        "1.",
        "-",
        "1e",
        "tru",
        "nul",
        "[1] x",
        "NaN"
      })
  void refusesMalformedText(String text) {
    assertThatThrownBy(() -> JsonReader.parse(text))
        .isInstanceOf(JsonReader.Malformed.class)
        .hasMessageContaining(" at offset ");
  }

  @Test
  void refusesNestingDeeperThan512Levels() {
    char[] open = new char[600];
    Arrays.fill(open, '[');

    assertThatThrownBy(() -> JsonReader.parse(new String(open)))
        .isInstanceOf(JsonReader.Malformed.class)
        .hasMessageContaining("nesting deeper than 512 levels");
  }
}
