package clearip.proxy.streams.upstream;

/** What happened to a request offered to the upstream connection; known at once, never later. */
public enum Offer {
  /** Queued for writing on a connected link. */
  ENQUEUED,
  /** The bounded outbound queue is full: ClearIP or the link is not keeping up. */
  FULL,
  /** No connection to ClearIP is up. */
  DOWN
}
