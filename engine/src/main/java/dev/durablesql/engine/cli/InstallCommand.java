package dev.durablesql.engine.cli;

import dev.durablesql.engine.EngineConfig;
import dev.durablesql.engine.schema.SchemaInstaller;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code durable install}: applies pending df schema migrations and exits. */
@Command(
    name = "install",
    mixinStandardHelpOptions = true,
    description = {
      "Installs or upgrades the df schema in the database and exits.",
      "The role needs CREATE on the database; it need not be a superuser."
    })
final class InstallCommand implements Callable<Integer> {
  @Mixin ConfigOptions configOptions;
  @Mixin ConnectionOptions connection;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    EngineConfig config = EngineSettings.engineConfig(configOptions.load(connection.assignments()));
    SchemaInstaller.Result result = new SchemaInstaller(dataSource(config)).install();
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "df schema at %s: %d file(s) applied, %d already current%n",
        result.schemaVersion(), result.applied(), result.upToDate());
    out.flush();
    return 0;
  }

  static PGSimpleDataSource dataSource(EngineConfig config) {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setUrl(config.jdbcUrl());
    config.user().ifPresent(dataSource::setUser);
    config.password().ifPresent(dataSource::setPassword);
    dataSource.setApplicationName("durable-sql:install");
    return dataSource;
  }
}
