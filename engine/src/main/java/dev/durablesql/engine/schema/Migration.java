package dev.durablesql.engine.schema;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One schema file: versioned ({@code V001__tables.sql}, applied once) or repeatable ({@code
 * R__020_dsl.sql}, re-applied whenever its text changes).
 */
record Migration(String fileName, String sql) {

  Migration {
    requireNonNull(fileName, "fileName is null");
    requireNonNull(sql, "sql is null");
    if (!fileName.matches("(V\\d{3}|R)__[A-Za-z0-9_]+\\.sql")) {
      throw new IllegalArgumentException(
          "schema file name '" + fileName + "' must look like V001__name.sql or R__name.sql");
    }
  }

  boolean isRepeatable() {
    return fileName.startsWith("R__");
  }

  String checksum() {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(sql.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
