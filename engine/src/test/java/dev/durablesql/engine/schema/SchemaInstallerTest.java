package dev.durablesql.engine.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.durablesql.engine.EngineException;
import dev.durablesql.engine.testing.PostgresExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

class SchemaInstallerTest {
  @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();

  private static int counter;

  @Test
  void freshDatabaseGetsEveryFileOnceAndARerunAppliesNothing() throws SQLException {
    String database = emptyDatabase();
    SchemaInstaller installer = new SchemaInstaller(dataSource(database, postgres.superuser()));
    int files = MigrationCatalog.load(getClass().getClassLoader()).size();

    SchemaInstaller.Result first = installer.install();
    SchemaInstaller.Result second = installer.install();

    assertThat(first.applied()).isEqualTo(files);
    assertThat(second.applied()).isZero();
    assertThat(second.upToDate()).isEqualTo(files);
    assertThat(recordedFiles(database)).hasSize(files);
  }

  @Test
  void twoInstallersAtOnceApplyEachFileExactlyOnce() throws Exception {
    String database = emptyDatabase();
    int files = MigrationCatalog.load(getClass().getClassLoader()).size();
    Callable<SchemaInstaller.Result> install =
        () -> new SchemaInstaller(dataSource(database, postgres.superuser())).install();

    List<SchemaInstaller.Result> results = new ArrayList<>();
    try (ExecutorService threads = Executors.newFixedThreadPool(2)) {
      List<Future<SchemaInstaller.Result>> futures = threads.invokeAll(List.of(install, install));
      for (Future<SchemaInstaller.Result> future : futures) {
        results.add(future.get());
      }
    }

    assertThat(results.stream().mapToInt(SchemaInstaller.Result::applied).sum()).isEqualTo(files);
    assertThat(recordedFiles(database)).hasSize(files);
  }

  @Test
  void aChangedRepeatableFileIsAppliedAgain() throws SQLException {
    String database = emptyDatabase();
    new SchemaInstaller(dataSource(database, postgres.superuser())).install();
    List<Migration> changed = new ArrayList<>(MigrationCatalog.load(getClass().getClassLoader()));
    int index = indexOf(changed, "R__020_dsl.sql");
    Migration dsl = changed.get(index);
    changed.set(index, new Migration(dsl.fileName(), dsl.sql() + "\n-- changed\n"));

    SchemaInstaller.Result result =
        new SchemaInstaller(dataSource(database, postgres.superuser()), changed).install();

    assertThat(dsl.isRepeatable()).isTrue();
    assertThat(result.applied()).isEqualTo(1);
  }

  @Test
  void anOrdinaryRoleWithCreateOnTheDatabaseCanInstall() throws SQLException {
    String database = emptyDatabase();
    counter++;
    String owner = "df_owner_" + counter;
    try (Connection admin = postgres.connectToDatabase("postgres");
        Statement statement = admin.createStatement()) {
      statement.execute("CREATE ROLE " + owner + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE");
      statement.execute("GRANT CREATE ON DATABASE " + database + " TO " + owner);
    }

    SchemaInstaller.Result result = new SchemaInstaller(dataSource(database, owner)).install();

    assertThat(result.applied()).isPositive();
    try (Connection connection = dataSource(database, owner).getConnection();
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'df'")) {
      row.next();
      assertThat(row.getString(1)).isEqualTo(owner);
    }
  }

  @Test
  void aRoleWithoutCreateGetsAnErrorSayingWhatToGrant() throws SQLException {
    String database = emptyDatabase();
    counter++;
    String owner = "df_nocreate_" + counter;
    try (Connection admin = postgres.connectToDatabase("postgres");
        Statement statement = admin.createStatement()) {
      statement.execute("CREATE ROLE " + owner + " LOGIN");
      statement.execute("REVOKE CREATE ON DATABASE " + database + " FROM PUBLIC");
    }

    assertThatThrownBy(() -> new SchemaInstaller(dataSource(database, owner)).install())
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("GRANT CREATE ON DATABASE");
  }

  @Test
  void aDfSchemaThatDurableSqlDidNotInstallIsLeftAlone() throws SQLException {
    String database = emptyDatabase();
    try (Connection connection = dataSource(database, postgres.superuser()).getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE SCHEMA df");
    }

    assertThatThrownBy(
            () -> new SchemaInstaller(dataSource(database, postgres.superuser())).install())
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("was not installed by durable-sql");
  }

  private static int indexOf(List<Migration> migrations, String fileName) {
    for (int i = 0; i < migrations.size(); i++) {
      if (migrations.get(i).fileName().equals(fileName)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no schema file " + fileName);
  }

  private static String emptyDatabase() throws SQLException {
    counter++;
    String name = postgres.databaseName() + "_install_" + counter;
    try (Connection admin = postgres.connectToDatabase("postgres");
        Statement statement = admin.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    }
    return name;
  }

  private static List<String> recordedFiles(String database) throws SQLException {
    List<String> files = new ArrayList<>();
    try (Connection connection = dataSource(database, postgres.superuser()).getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery("SELECT file_name FROM df_engine.schema_migrations")) {
      while (rows.next()) {
        files.add(rows.getString(1));
      }
    }
    return files;
  }

  private static PGSimpleDataSource dataSource(String database, String user) {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    String url = postgres.jdbcUrl();
    dataSource.setUrl(url.substring(0, url.lastIndexOf('/') + 1) + database);
    dataSource.setUser(user);
    return dataSource;
  }
}
