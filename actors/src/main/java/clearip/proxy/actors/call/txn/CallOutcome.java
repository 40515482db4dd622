package clearip.proxy.actors.call.txn;

/** How a call ended, for counters and the per-call summary line. */
public enum CallOutcome {
  /** ClearIP answered; its final was relayed to the switch. */
  RELAYED,
  /** ClearIP gave no final in time: 503 to the switch. */
  FAIL_OPEN_TIMEOUT,
  /** No connection to ClearIP, or it was lost during the call: 503 to the switch. */
  FAIL_OPEN_UNAVAILABLE,
  /** The upstream queue was full: 503 to the switch. */
  FAIL_OPEN_QUEUE_FULL,
  /** Too many calls in flight: 503 to the switch without asking ClearIP. */
  FAIL_OPEN_OVERLOAD,
  /** An emergency number: 503 at once, never screened. */
  EMERGENCY_BYPASS,
  /** Refused by the RFC 3261 16.3 checks (416, 420, 482, 483). */
  REJECTED,
  /** The switch cancelled: 487. */
  CANCELLED,
  /** Inline mode: a destination from ClearIP's 302 answered 2xx. */
  ANSWERED,
  /** Inline mode: the destinations were tried and the search ended with a failure final. */
  DESTINATIONS_FAILED;

  public boolean isFailOpen() {
    return name().startsWith("FAIL_OPEN");
  }
}
