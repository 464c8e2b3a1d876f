package dev.durablesql.engine.claim;

import static java.util.Objects.requireNonNull;

import java.util.UUID;

/**
 * An instance this engine holds a lease on.
 *
 * @param leaseToken the fence: every write for the instance must present it, and it changes when
 *     another engine takes the instance over
 * @param epoch how many times the instance has been claimed, this claim included
 * @param varsJson the submitter's variables at df.start, a JSON object
 * @param wakeSeq how many signals and cancels had arrived when the claim was made
 */
public record ClaimedInstance(
    String id, UUID leaseToken, long epoch, String varsJson, long wakeSeq) {

  public ClaimedInstance {
    requireNonNull(id, "id is null");
    requireNonNull(leaseToken, "leaseToken is null");
    requireNonNull(varsJson, "varsJson is null");
  }
}
