package dev.durablesql.engine.claim;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds one connection that LISTENs on {@code df_wakeup} (df.start, signals and cancels NOTIFY it)
 * and wakes the claim loop for every notification. Reconnects after a lost connection; while it is
 * down the claim loop still polls.
 */
public final class WakeupListener implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WakeupListener.class);
  static final String CHANNEL = "df_wakeup";
  private static final String CANCEL_PREFIX = "cancel:";

  private final String jdbcUrl;
  private final Properties connectionProperties;
  private final WakeSignal wake;
  private final Consumer<String> onCancel;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Connection connection;

  /**
   * @param onCancel told the instance id of every {@code cancel:<id>} notification (df.cancel)
   */
  public WakeupListener(
      String jdbcUrl, Properties connectionProperties, WakeSignal wake, Consumer<String> onCancel) {
    this.jdbcUrl = requireNonNull(jdbcUrl, "jdbcUrl is null");
    this.connectionProperties =
        requireNonNull(connectionProperties, "connectionProperties is null");
    this.wake = requireNonNull(wake, "wake is null");
    this.onCancel = requireNonNull(onCancel, "onCancel is null");
    this.thread = Thread.ofPlatform().daemon().name("df-listener").unstarted(this::listen);
  }

  public void start() {
    thread.start();
  }

  private void listen() {
    long backoffMillis = 100;
    while (running) {
      try (Connection listening = DriverManager.getConnection(jdbcUrl, connectionProperties)) {
        connection = listening;
        try (Statement statement = listening.createStatement()) {
          statement.execute("LISTEN " + CHANNEL);
        }
        // Anything started while we were not listening is found by this first claim.
        wake.signalDueTimes();
        backoffMillis = 100;
        PGConnection pg = listening.unwrap(PGConnection.class);
        while (running) {
          PGNotification[] notifications = pg.getNotifications(500);
          if (notifications != null && notifications.length > 0) {
            for (PGNotification notification : notifications) {
              String payload = notification.getParameter();
              if (payload != null && payload.startsWith(CANCEL_PREFIX)) {
                onCancel.accept(payload.substring(CANCEL_PREFIX.length()));
              }
            }
            // What a NOTIFY announces (a start, a signal, a cancel) is due now, and the claim this
            // wakes takes it; no timer moved, so the next due time is not asked again for it.
            wake.signal();
          }
        }
      } catch (SQLException e) {
        if (!running) {
          return;
        }
        log.warn(
            "Lost the LISTEN connection ({}); reconnecting in {} ms, polling meanwhile",
            e.getMessage(),
            backoffMillis);
        try {
          Thread.sleep(backoffMillis);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return;
        }
        backoffMillis = Math.min(backoffMillis * 2, 5_000);
      }
    }
  }

  @Override
  public void close() {
    running = false;
    Connection current = connection;
    if (current != null) {
      try {
        current.close();
      } catch (SQLException e) {
        log.debug("Closing the LISTEN connection failed", e);
      }
    }
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
