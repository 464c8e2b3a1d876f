package dev.durablesql.engine.cli;

import dev.durablesql.engine.EngineException;
import dev.durablesql.engine.config.ConfigException;
import dev.durablesql.engine.embedded.EmbeddedClusterException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code durable} command. */
@Command(
    name = "durable",
    mixinStandardHelpOptions = true,
    versionProvider = DurableCli.Version.class,
    description = "Durable SQL workflows for PostgreSQL.",
    subcommands = {
      UpCommand.class,
      PostgresCommand.class,
      EngineCommand.class,
      InstallCommand.class,
      SqlCommand.class,
      ConfigCommand.class,
      PluginsCommand.class,
      BenchCommand.class,
      ListCommand.class,
      ShowCommand.class,
      AwaitCommand.class,
      SignalCommand.class,
      CancelCommand.class,
      LogsCommand.class,
      CommandLine.HelpCommand.class
    })
public final class DurableCli {

  public static void main(String[] args) {
    // Libraries that log through java.util.logging (Helidon) end up in the same log as ours.
    org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
    org.slf4j.bridge.SLF4JBridgeHandler.install();
    System.exit(run(args));
  }

  /** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 bad usage). */
  public static int run(String... args) {
    return run(
        new PrintWriter(System.out, true, java.nio.charset.Charset.defaultCharset()),
        new PrintWriter(System.err, true, java.nio.charset.Charset.defaultCharset()),
        args);
  }

  /** Runs the CLI with the given output streams (for tests and embedding). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine commandLine = new CommandLine(new DurableCli());
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setExecutionExceptionHandler(DurableCli::reportFailure);
    return commandLine.execute(args);
  }

  /** One line naming what is wrong; the stack trace only with --verbose. */
  private static int reportFailure(
      Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
    PrintWriter err = commandLine.getErr();
    boolean verbose = parseResult.hasMatchedOption("--verbose");
    boolean known =
        e instanceof EngineException
            || e instanceof ConfigException
            || e instanceof EmbeddedClusterException;
    err.println("durable: " + (known ? e.getMessage() : e.toString()));
    if (verbose) {
      e.printStackTrace(err);
    } else if (!known) {
      err.println("(run again with --verbose for the stack trace)");
    }
    err.flush();
    return 1;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = DurableCli.class.getPackage().getImplementationVersion();
      return new String[] {"durable-sql " + (version == null ? "(development build)" : version)};
    }
  }
}
