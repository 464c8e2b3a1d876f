package dev.durablesql.engine.step;

import static dev.durablesql.engine.testing.Workflows.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.durablesql.engine.Engine;
import dev.durablesql.engine.testing.PostgresExtension;
import dev.durablesql.engine.testing.Workflows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pgpass recipe of docs/authentication.md: with scram-sha-256 required for a role, the engine
 * logs in as that role with the password from a pgpass file, and a role missing from the file fails
 * its step with a message naming the role.
 */
class PgpassAuthenticationTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
  @TempDir static Path folder;
  private static Workflows workflows;
  private static Path hbaFile;
  private static String originalHba;

  @BeforeAll
  static void requirePasswordsForCarolAndDave() throws Exception {
    workflows = new Workflows(postgres);
    hbaFile = Path.of(workflows.queryAsSuperuser("SELECT current_setting(?)", "hba_file"));
    assumeTrue(Files.isWritable(hbaFile), "needs the server's pg_hba.conf (embedded server)");
    workflows.executeAsSuperuser(
        "DO $$ BEGIN"
            + " IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carol') THEN"
            + "   CREATE ROLE carol LOGIN PASSWORD 'carol-secret'; END IF;"
            + " IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dave') THEN"
            + "   CREATE ROLE dave LOGIN PASSWORD 'dave-secret'; END IF;"
            + " IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'erin') THEN"
            + "   CREATE ROLE erin LOGIN PASSWORD 'erin-secret'; END IF; END $$;"
            + " SELECT df.grant_usage('carol'); SELECT df.grant_usage('dave');"
            + " SELECT df.grant_usage('erin');");
    originalHba = Files.readString(hbaFile);
    Files.writeString(
        hbaFile,
        "host all carol 127.0.0.1/32 scram-sha-256\nhost all dave 127.0.0.1/32 scram-sha-256\n"
            + "host all erin 127.0.0.1/32 scram-sha-256\n"
            + originalHba);
    workflows.executeAsSuperuser("SELECT pg_reload_conf()");
  }

  @AfterAll
  static void restoreTrust() throws Exception {
    if (originalHba != null) {
      Files.writeString(hbaFile, originalHba);
      workflows.executeAsSuperuser("SELECT pg_reload_conf()");
    }
  }

  @Test
  void theEngineLogsInAsEachRoleWithThePasswordFromThePgpassFile() throws Exception {
    int port = Integer.parseInt(workflows.queryAsSuperuser("SELECT current_setting(?)", "port"));
    Path pgpass = folder.resolve("pgpass");
    Files.writeString(pgpass, "127.0.0.1:" + port + ":*:carol:carol-secret\n");
    Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
    String carols = start("carol", "carol-secret", literal("SELECT current_user AS me"));
    String daves = start("dave", "dave-secret", literal("SELECT current_user AS me"));

    System.setProperty("org.postgresql.pgpassfile", pgpass.toString());
    try (Engine engine = Engine.start(postgres.engineConfig("pgpass-engine"))) {
      workflows.awaitTerminal(carols);
      workflows.awaitTerminal(daves);
    } finally {
      System.clearProperty("org.postgresql.pgpassfile");
    }

    assertThat(workflows.status(carols)).isEqualTo("completed");
    assertThat(workflows.result(carols)).contains("\"me\": \"carol\"");
    assertThat(workflows.status(daves)).isEqualTo("failed");
    assertThat(
            workflows.queryAsSuperuser(
                "SELECT n.result #>> '{}' FROM df.nodes n WHERE n.instance_id = ?", daves))
        .contains("as role dave")
        .containsIgnoringCase("password");
  }

  @Test
  void theEngineReadsARolesPasswordFromTheSecretsFolder() throws Exception {
    Path secrets = Files.createDirectories(folder.resolve("secrets"));
    Files.writeString(secrets.resolve("erin"), "erin-secret\n");
    String erins = start("erin", "erin-secret", literal("SELECT current_user AS me"));

    try (Engine engine =
        Engine.start(postgres.engineConfig("secrets-engine").withRoleSecretsDirectory(secrets))) {
      workflows.awaitTerminal(erins);
    }

    assertThat(workflows.status(erins)).isEqualTo("completed");
    assertThat(workflows.result(erins)).contains("\"me\": \"erin\"");
  }

  /** df.start as a password-protected role, logging in with its password. */
  private static String start(String role, String password, String future) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", role);
    properties.setProperty("password", password);
    try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), properties);
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT df.start(" + future + ")")) {
      row.next();
      return row.getString(1);
    }
  }
}
