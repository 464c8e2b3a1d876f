package dev.durablesql.engine.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A durable engine in a separate JVM ({@code durable engine}), started from the test classpath, so
 * that a test can kill it with SIGKILL at any instant. Its output goes to a file under target/.
 */
public final class ChildEngine implements AutoCloseable {
  private final Process process;
  private final Path log;

  private ChildEngine(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  public static ChildEngine start(PostgresExtension postgres, String name, String... settings)
      throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>();
    command.add(java);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("dev.durablesql.engine.cli.DurableCli");
    command.add("engine");
    command.add("--url");
    command.add(postgres.jdbcUrl());
    command.add("--user");
    command.add(postgres.superuser());
    command.add("--no-install");
    command.add("--set");
    command.add("engine-name=" + name);
    for (String setting : settings) {
      command.add("--set");
      command.add(setting);
    }
    Path log = Files.createDirectories(Path.of("target", "child-engines")).resolve(name + ".log");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    return new ChildEngine(process, log);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook runs, no lease is released, no connection is closed cleanly. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public String output() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }
}
