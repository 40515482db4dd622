package clearip.proxy.actors.call.txn;

/** Where one call stands, in either mode. The transitions are {@link SwitchSide}'s. */
public enum CallState {
  /** The INVITE is in, nothing done yet. */
  NEW,
  /** The INVITE went to ClearIP; its final is awaited (and the fail-open deadline runs). */
  WAITING_UPSTREAM,
  /** Inline: ClearIP's 302 is being followed, one destination after another. */
  SEARCHING,
  /** Inline: a destination answered 2xx and it went to the switch (RFC 6026 Accepted). */
  ACCEPTED,
  /** The switch has its non-2xx final; over UDP its ACK is still to come (RFC 3261 17.2.1). */
  COMPLETED,
  /** Over: the call's actor stops. */
  TERMINATED
}
