/** Claiming runnable instances with leases and fencing tokens, heartbeats and wake-ups. */
package dev.durablesql.engine.claim;
