package clearip.proxy.actors.call.txn;

/**
 * A timer of one call, which is also the key it runs under: starting it again replaces it, and a
 * cancelled one never fires. The call's own timers and those of each in-line attempt are distinct
 * types, so no attempt number has to stand for "not an attempt".
 */
public sealed interface TxnTimer {

  /** Timers of the call as a whole. */
  enum CallTimer implements TxnTimer {
    /** ClearIP gave no final in time: fail open with a 503. */
    UPSTREAM_DEADLINE,
    /** Repeat our non-2xx final to the switch over UDP until it ACKs (RFC 3261 17.2.1). */
    TIMER_G,
    /** Stop waiting for the switch's ACK (RFC 3261 17.2.1). */
    TIMER_H,
    /** Inline: bounds the wait for the finals of destinations given up on or cancelled. */
    ACCEPTED
  }

  /** Inline: a timer of one destination attempt (its index in the order tried). */
  record AttemptTimer(Kind kind, int attempt) implements TxnTimer {
    public enum Kind {
      /** INVITE retransmission to a UDP destination (RFC 3261 Timer A). */
      TIMER_A,
      /** No provisional from the destination in time. */
      NO_ANSWER,
      /** The destination rang but gave no final in time. */
      RING,
      /** TCP chosen by the size rule has not connected in time; fall back to UDP. */
      TCP_CONNECT
    }
  }
}
