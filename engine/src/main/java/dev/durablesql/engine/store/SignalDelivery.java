package dev.durablesql.engine.store;

import java.util.Optional;

/** What a signal wait found: a delivered signal's payload (JSON text), or nothing yet. */
public record SignalDelivery(boolean delivered, Optional<String> payload) {

  public static SignalDelivery none() {
    return new SignalDelivery(false, Optional.empty());
  }
}
