package dev.durablesql.engine.metrics;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HikariCP's metrics for the engine's connection pools ({@code hikaricp_connections_active} and the
 * rest), tagged with the role each pool logs in as and its database, so that step connections can
 * be watched per submitting role. HikariCP tags its meters with the pool name only; a meter filter
 * adds {@code role} and {@code database} from the name, recorded before the pool starts.
 */
public final class PoolMeters {
  private static final String HIKARI_PREFIX = "hikaricp.";

  private final Optional<MeterRegistry> meters;
  private final Map<String, Tags> tagsByPool = new ConcurrentHashMap<>();

  private PoolMeters(Optional<MeterRegistry> meters) {
    this.meters = meters;
    meters.ifPresent(registry -> registry.config().meterFilter(new PoolTags()));
  }

  /**
   * Pool metrics in {@code meters}. Call before anything registers meters there: the filter must
   * see every HikariCP meter.
   */
  public static PoolMeters of(MeterRegistry meters) {
    return new PoolMeters(Optional.of(requireNonNull(meters, "meters is null")));
  }

  /** No pool metrics (for pools outside an engine, such as in tests and benchmarks). */
  public static PoolMeters none() {
    return new PoolMeters(Optional.empty());
  }

  /**
   * Makes the pool {@code config} describes report its metrics, tagged with {@code role} and {@code
   * database} (empty for the df database). Its pool name must be set and unique.
   */
  public void track(HikariConfig config, String role, Optional<String> database) {
    if (meters.isEmpty()) {
      return;
    }
    String pool = requireNonNull(config.getPoolName(), "pool name is null");
    tagsByPool.put(pool, Tags.of("role", role, "database", database.orElse("")));
    config.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(meters.get()));
  }

  /** Adds the tags of the pool a HikariCP meter belongs to. */
  private final class PoolTags implements MeterFilter {
    @Override
    public Meter.Id map(Meter.Id id) {
      if (!id.getName().startsWith(HIKARI_PREFIX)) {
        return id;
      }
      String pool = id.getTag("pool");
      Tags tags = pool == null ? null : tagsByPool.get(pool);
      return tags == null ? id : id.withTags(tags);
    }
  }
}
