package clearip.proxy.sip.header;

/** The CSeq header (RFC 3261 section 20.16): sequence number and method. */
public record CSeq(long number, String method) {
  /** The largest sequence number RFC 3261 allows (2^31 - 1 on creation, 2^32 - 1 on receipt). */
  public static final long MAX = 0xFFFF_FFFFL;

  @Override
  public String toString() {
    return number + " " + method;
  }
}
