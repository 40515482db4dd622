package clearip.proxy.sip.codec;

/**
 * Explicit bounds on what the decoder and the stream framer accept; anything larger is answered
 * with an error (or the connection closed) instead of being buffered without bound.
 *
 * @param maxMessageBytes whole message, start line to end of body (513 Message Too Large past it)
 * @param maxStartLineBytes request or status line (414 for requests past it)
 * @param maxHeaderCount header field lines, continuation lines not counted separately
 * @param maxHeaderLineBytes one header field including its folded continuation lines
 * @param maxViaCount Via values across all Via header fields
 */
public record ParseLimits(
    int maxMessageBytes,
    int maxStartLineBytes,
    int maxHeaderCount,
    int maxHeaderLineBytes,
    int maxViaCount) {

  /** Defaults sized for carrier INVITEs with SDP and several Identity headers. */
  public static final ParseLimits DEFAULT = new ParseLimits(65_535, 8_192, 256, 16_384, 64);

  public ParseLimits {
    positive(maxMessageBytes, "maxMessageBytes");
    positive(maxStartLineBytes, "maxStartLineBytes");
    positive(maxHeaderCount, "maxHeaderCount");
    positive(maxHeaderLineBytes, "maxHeaderLineBytes");
    positive(maxViaCount, "maxViaCount");
  }

  private static void positive(int v, String name) {
    if (v <= 0) throw new IllegalArgumentException(name + " must be positive, was " + v);
  }
}
