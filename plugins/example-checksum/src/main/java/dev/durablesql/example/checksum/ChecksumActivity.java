package dev.durablesql.example.checksum;

import dev.durablesql.activity.Activity;
import dev.durablesql.activity.ActivityContext;
import dev.durablesql.activity.ActivityException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Security;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code checksum} activity: the digest of {@code config.input} (a string, digested as UTF-8)
 * with {@code config.algorithm} (default SHA-256; any message digest of the JDK), written as {@code
 * config.encoding} (hex, the default, or base64). With {@code config.hmac_key_setting} it computes
 * an HMAC instead, keyed by the engine setting of that name, so the key stays in the engine's
 * configuration and never appears in a workflow. Returns {@code {"algorithm", "digest", "bytes"}}.
 *
 * <p>Stateless and thread-safe; every failure is a bad input or a missing setting, so every failure
 * is permanent.
 */
public final class ChecksumActivity implements Activity {
  private static final List<String> CONFIG_KEYS =
      List.of("input", "algorithm", "encoding", "hmac_key_setting");
  private static final String DEFAULT_ALGORITHM = "SHA-256";
  private static final Pattern SHA_WITHOUT_DASH = Pattern.compile("SHA(\\d.*)");

  private final SortedSet<String> digests;
  private final SortedSet<String> hmacDigests;

  /** Reads which algorithms this JDK offers; the service loader calls it once per engine. */
  public ChecksumActivity() {
    Set<String> macs = Security.getAlgorithms("Mac");
    this.digests = new TreeSet<>(Security.getAlgorithms("MessageDigest"));
    this.hmacDigests = new TreeSet<>();
    for (String digest : digests) {
      if (macs.contains(macName(digest).toUpperCase(Locale.ROOT))) {
        hmacDigests.add(digest);
      }
    }
  }

  @Override
  public String type() {
    return "checksum";
  }

  @Override
  public Map<String, Object> execute(ActivityContext context) throws ActivityException {
    Map<String, Object> config = context.config();
    for (String key : config.keySet()) {
      if (!CONFIG_KEYS.contains(key)) {
        throw ActivityException.permanent(
            "checksum: unknown config key '"
                + key
                + "'; it takes "
                + String.join(", ", CONFIG_KEYS));
      }
    }
    byte[] input =
        text(config, "input")
            .orElseThrow(() ->
                ActivityException.permanent(
                    "checksum: config.input is missing; give the text to digest, such as"
                        + " {\"input\": \"hello\"}"))
            .getBytes(StandardCharsets.UTF_8);
    String encoding = text(config, "encoding").orElse("hex").toLowerCase(Locale.ROOT);
    if (!encoding.equals("hex") && !encoding.equals("base64")) {
      throw ActivityException.permanent(
          "checksum: config.encoding '" + encoding + "' is not one of hex, base64");
    }
    Optional<String> keySetting = text(config, "hmac_key_setting");
    String requested = text(config, "algorithm").orElse(DEFAULT_ALGORITHM);

    String algorithm;
    byte[] digest;
    if (keySetting.isPresent()) {
      String digestName = algorithm(requested, hmacDigests, "with hmac_key_setting ");
      algorithm = macName(digestName);
      digest = hmac(algorithm, key(context, keySetting.get()), input);
    } else {
      algorithm = algorithm(requested, digests, "");
      digest = digest(algorithm, input);
    }

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("algorithm", algorithm);
    result.put(
        "digest",
        encoding.equals("hex")
            ? HexFormat.of().formatHex(digest)
            : Base64.getEncoder().encodeToString(digest));
    result.put("bytes", input.length);
    return result;
  }

  /** The string at {@code key}; empty when absent or JSON null; an error for other shapes. */
  private static Optional<String> text(Map<String, Object> config, String key)
      throws ActivityException {
    Object value = config.get(key);
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof String string) {
      return Optional.of(string);
    }
    throw ActivityException.permanent(
        "checksum: config." + key + " must be a string, was " + jsonType(value));
  }

  /**
   * The JDK's name for {@code requested} among {@code available}: any case, and {@code SHA256} for
   * {@code SHA-256}.
   */
  private static String algorithm(String requested, SortedSet<String> available, String when)
      throws ActivityException {
    String name = requested.strip().toUpperCase(Locale.ROOT);
    if (!available.contains(name)) {
      name = SHA_WITHOUT_DASH.matcher(name).replaceFirst("SHA-$1");
    }
    if (!available.contains(name)) {
      throw ActivityException.permanent(
          "checksum: algorithm '"
              + requested
              + "' is not available "
              + when
              + "on this JDK; use one of "
              + String.join(", ", available));
    }
    return name;
  }

  /** The HMAC key: the engine setting {@code name} of this activity, as UTF-8 bytes. */
  private static byte[] key(ActivityContext context, String name) throws ActivityException {
    String key =
        context
            .setting(name)
            .orElseThrow(() ->
                ActivityException.permanent(
                    "checksum: config.hmac_key_setting names '"
                        + name
                        + "', but the engine has no setting plugin.checksum."
                        + name
                        + "; add it to the engine's configuration and restart the engine"));
    if (key.isEmpty()) {
      throw ActivityException.permanent(
          "checksum: the engine setting plugin.checksum."
              + name
              + " is empty; an HMAC needs a key");
    }
    return key.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] digest(String algorithm, byte[] input) throws ActivityException {
    try {
      return MessageDigest.getInstance(algorithm).digest(input);
    } catch (GeneralSecurityException e) {
      throw new ActivityException("checksum: " + algorithm + " failed: " + e, false, e);
    }
  }

  private static byte[] hmac(String algorithm, byte[] key, byte[] input) throws ActivityException {
    try {
      Mac mac = Mac.getInstance(algorithm);
      mac.init(new SecretKeySpec(key, algorithm));
      return mac.doFinal(input);
    } catch (GeneralSecurityException e) {
      // The message of a key failure never holds the key itself.
      throw new ActivityException("checksum: " + algorithm + " failed: " + e, false, e);
    }
  }

  /** The JDK's HMAC name for a digest: HmacSHA256 for SHA-256, HmacSHA3-256 for SHA3-256. */
  private static String macName(String digest) {
    return "Hmac" + (digest.startsWith("SHA-") ? "SHA" + digest.substring(4) : digest);
  }

  private static String jsonType(Object value) {
    return switch (value) {
      case Map<?, ?> map -> "an object";
      case List<?> list -> "an array";
      case Number number -> "a number";
      case Boolean bool -> "a boolean";
      default -> "a " + value.getClass().getSimpleName();
    };
  }
}
