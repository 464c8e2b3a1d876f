package dev.durablesql.engine.dashboard;

import java.util.Optional;

/**
 * Which instances a listing shows: each present condition must hold. {@code label} is a substring
 * (case-insensitive), {@code role} the exact submitting role, {@code createdAfter} and {@code
 * createdBefore} timestamps as PostgreSQL reads them ({@code 2025-01-31} or {@code
 * 2025-01-31T12:00:00Z}; after is inclusive, before exclusive), and {@code after} the cursor of the
 * previous page's last row (df.list_instances' cursor format, R-MON-4).
 */
public record InstanceFilter(
    Optional<String> status,
    Optional<String> label,
    Optional<String> role,
    Optional<String> createdAfter,
    Optional<String> createdBefore,
    Optional<String> after,
    int limit) {
  /** Most rows on one page. */
  public static final int MAX_LIMIT = 500;

  public InstanceFilter {
    status = blankAsEmpty(status);
    label = blankAsEmpty(label);
    role = blankAsEmpty(role);
    createdAfter = blankAsEmpty(createdAfter);
    createdBefore = blankAsEmpty(createdBefore);
    after = blankAsEmpty(after);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new DashboardException(
          DashboardException.Kind.INVALID,
          "limit must be from 1 to " + MAX_LIMIT + ", was " + limit,
          null);
    }
  }

  /** Every instance, newest first, 50 to a page. */
  public static InstanceFilter all() {
    return new InstanceFilter(
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        50);
  }

  private static Optional<String> blankAsEmpty(Optional<String> value) {
    return value == null ? Optional.empty() : value.map(String::strip).filter(v -> !v.isEmpty());
  }
}
