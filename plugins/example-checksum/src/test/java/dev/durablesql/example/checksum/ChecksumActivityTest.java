package dev.durablesql.example.checksum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.activity.Activity;
import dev.durablesql.activity.ActivityException;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class ChecksumActivityTest {
  private final ChecksumActivity checksum = new ChecksumActivity();

  @Test
  void digestsWithSha256InHexByDefault() throws Exception {
    Map<String, Object> result = checksum.execute(FakeContext.of(Map.of("input", "hello")));

    assertThat(result)
        .containsExactly(
            Map.entry("algorithm", "SHA-256"),
            Map.entry("digest", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
            Map.entry("bytes", 5));
  }

  @Test
  void digestsWithTheAlgorithmAsked() throws Exception {
    assertThat(digest("MD5")).isEqualTo("5d41402abc4b2a76b9719d911017c592");
    assertThat(digest("SHA-1")).isEqualTo("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
    assertThat(digest("sha-512"))
        .isEqualTo(
            "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7"
                + "2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043");
    assertThat(digest("sha256")).isEqualTo(digest("SHA-256"));
  }

  @Test
  void writesTheDigestInBase64WhenAsked() throws Exception {
    Map<String, Object> result =
        checksum.execute(FakeContext.of(Map.of("input", "hello", "encoding", "base64")));

    assertThat(result).containsEntry("digest", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
  }

  @Test
  void countsTheInputInUtf8Bytes() throws Exception {
    Map<String, Object> result = checksum.execute(FakeContext.of(Map.of("input", "héllo €")));

    assertThat(result).containsEntry("bytes", 10);
  }

  @Test
  void computesAnHmacWithTheKeyFromTheEngineSetting() throws Exception {
    FakeContext context =
        new FakeContext(
            Map.of(
                "input", "The quick brown fox jumps over the lazy dog", "hmac_key_setting", "key"),
            Map.of("key", "key"));

    Map<String, Object> result = checksum.execute(context);

    assertThat(result)
        .containsEntry("algorithm", "HmacSHA256")
        .containsEntry(
            "digest", "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  }

  @Test
  void anHmacUsesTheAlgorithmAsked() throws Exception {
    FakeContext context =
        new FakeContext(
            Map.of(
                "input",
                "The quick brown fox jumps over the lazy dog",
                "algorithm",
                "MD5",
                "hmac_key_setting",
                "key"),
            Map.of("key", "key"));

    Map<String, Object> result = checksum.execute(context);

    assertThat(result)
        .containsEntry("algorithm", "HmacMD5")
        .containsEntry("digest", "80070713463e7749b90c2dc24911e275");
  }

  @Test
  void aMissingKeySettingIsPermanentAndNamesTheSetting() {
    FakeContext context =
        FakeContext.of(Map.of("input", "hello", "hmac_key_setting", "signing-key"));

    assertThatThrownBy(() -> checksum.execute(context))
        .isInstanceOfSatisfying(ActivityException.class, e -> assertThat(e.retryable()).isFalse())
        .hasMessageContaining("plugin.checksum.signing-key");
  }

  @Test
  void anUnknownAlgorithmIsPermanentAndListsTheAllowedOnes() {
    FakeContext context = FakeContext.of(Map.of("input", "hello", "algorithm", "SHA-999"));

    assertThatThrownBy(() -> checksum.execute(context))
        .isInstanceOfSatisfying(ActivityException.class, e -> assertThat(e.retryable()).isFalse())
        .hasMessageContaining("'SHA-999' is not available")
        .hasMessageContaining("MD5")
        .hasMessageContaining("SHA-1")
        .hasMessageContaining("SHA-256")
        .hasMessageContaining("SHA-512");
  }

  @Test
  void badInputIsPermanent() {
    List<Map<String, Object>> configs =
        List.of(
            Map.of(),
            Map.of("input", 42),
            Map.of("input", "hello", "encoding", "base32"),
            Map.of("input", "hello", "algoritm", "MD5"));

    for (Map<String, Object> config : configs) {
      assertThatThrownBy(() -> checksum.execute(FakeContext.of(config)))
          .as("config %s", config)
          .isInstanceOfSatisfying(
              ActivityException.class, e -> assertThat(e.retryable()).isFalse());
    }
  }

  @Test
  void isRegisteredForTheServiceLoader() {
    assertThat(ServiceLoader.load(Activity.class).stream().map(ServiceLoader.Provider::type))
        .contains(ChecksumActivity.class);
    assertThat(checksum.type()).isEqualTo("checksum");
  }

  private String digest(String algorithm) throws ActivityException {
    return (String)
        checksum
            .execute(FakeContext.of(Map.of("input", "hello", "algorithm", algorithm)))
            .get("digest");
  }
}
