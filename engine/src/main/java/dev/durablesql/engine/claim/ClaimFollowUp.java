package dev.durablesql.engine.claim;

import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Statements that travel in a claim's round trip, after the claim and in its transaction, to read
 * what it took: the claimed instances' ids are {@link #CLAIMED_IDS} there.
 */
public interface ClaimFollowUp {
  /**
   * The ids of the instances the claim took, as a {@code varchar[]} expression: {@code
   * df_engine.claim} leaves them in a setting that lasts until the claim's transaction ends.
   */
  String CLAIMED_IDS =
      "pg_catalog.string_to_array("
          + "pg_catalog.current_setting('df_engine.claimed', true), ',')::varchar[]";

  /** The statements, separated by semicolons. */
  String sql();

  /**
   * Reads their results; the statement is at the claim's result, so the first call of {@code
   * getMoreResults} moves to the first of them.
   *
   * @param claimed what the claim took
   */
  void read(Statement statement, List<ClaimedInstance> claimed) throws SQLException;
}
