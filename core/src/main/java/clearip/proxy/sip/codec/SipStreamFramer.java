package clearip.proxy.sip.codec;

import java.util.Arrays;

/**
 * Cuts SIP messages out of a byte stream (TCP or TLS) by Content-Length, as RFC 3261 section
 * 18.3 requires: several messages in one read, one message over many reads, CRLF keep-alives
 * (RFC 5626) between messages. One instance per connection; not thread-safe.
 *
 * <p>Usage: {@link #feed} the bytes of each read, then call {@link #next()} until it returns
 * null. After an {@link Frame.Error} the stream cannot be resynchronised: close the connection.
 */
public final class SipStreamFramer {

  /** What the stream yielded. */
  public sealed interface Frame {
    /** One complete message, in its own array (ready for {@link SipDecoder}). */
    record Message(byte[] bytes) implements Frame {}

    /** A CRLFCRLF keep-alive ping; the peer expects a CRLF pong (RFC 5626 section 4.4.1). */
    enum Ping implements Frame { INSTANCE }

    /**
     * The stream is not valid SIP framing (missing or bad Content-Length, message too large).
     *
     * @param reason the fault with its figures, for the log
     * @param context the header section bytes read so far, so the caller can still answer the
     *     request before closing; null when nothing usable was read
     */
    record Error(Fault fault, String reason, byte[] context) implements Frame {}
  }

  /** Why a stream cannot be framed, with the status a request that caused it deserves. */
  public enum Fault {
    NOT_SIP(400),
    START_LINE_TOO_LONG(400),
    HEADER_SECTION_TOO_LONG(400),
    CONTENT_LENGTH_MISSING(400),
    CONTENT_LENGTH_INVALID(400),
    CONTENT_LENGTH_REPEATED(400),
    /** Larger than the message limit: 513 Message Too Large (RFC 3261 21.5.11). */
    MESSAGE_TOO_LARGE(513);

    private final int status;

    Fault(int status) {
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  private final ParseLimits limits;
  private byte[] buf = new byte[4096];
  private int start; // first unconsumed byte
  private int end; // after the last byte fed
  private int scanFrom; // where the search for the end of the header section resumes
  private boolean startLineChecked; // the current message's start line looked like SIP
  private boolean failed;
  /** The value {@link #readContentLength} found. */
  private int contentLength;

  public SipStreamFramer(ParseLimits limits) {
    this.limits = limits;
  }

  /** Bytes buffered and not yet returned as a frame. */
  public int buffered() {
    return end - start;
  }

  /**
   * True while part of a message is buffered: more than the CRLFs of a keep-alive still
   * arriving. Call after {@link #next()} returned null.
   */
  public boolean inMessage() {
    for (int i = start; i < end; i++) {
      if (buf[i] != '\r' && buf[i] != '\n') return true;
    }
    return false;
  }

  /** Appends the bytes of one read. */
  public void feed(byte[] b, int off, int len) {
    if (failed || len == 0) return;
    if (end + len > buf.length) {
      // compact first; grow only if the pending message really needs it
      int pending = end - start;
      if (pending + len > buf.length) {
        buf = Arrays.copyOfRange(buf, start, start + Math.max(buf.length * 2, pending + len));
      } else {
        System.arraycopy(buf, start, buf, 0, pending);
      }
      scanFrom -= start;
      start = 0;
      end = pending;
    }
    System.arraycopy(b, off, buf, end, len);
    end += len;
  }

  public void feed(byte[] b) {
    feed(b, 0, b.length);
  }

  /** The next complete frame, or null when more bytes are needed. */
  public Frame next() {
    if (failed) return null;
    // keep-alives and stray CRLFs between messages
    int crlfs = 0;
    while (start + 1 < end && buf[start] == '\r' && buf[start + 1] == '\n') {
      start += 2;
      crlfs++;
      if (crlfs == 2) {
        scanFrom = Math.max(scanFrom, start);
        return Frame.Ping.INSTANCE;
      }
    }
    if (start == end) {
      // a lone CRLF may be the first half of a ping still arriving: keep it until more comes
      if (crlfs == 1) start -= 2;
      return null;
    }
    if (scanFrom < start) scanFrom = start;
    if (!startLineChecked) {
      // garbage is told apart within one start line, not only at the header section's limit
      StartLine verdict = startLine();
      if (verdict == StartLine.NOT_SIP) {
        return fail(Fault.NOT_SIP, "not a SIP message (bad start line)", end);
      }
      if (verdict == StartLine.INCOMPLETE) {
        if (end - start > limits.maxStartLineBytes()) {
          return fail(Fault.START_LINE_TOO_LONG, "start line longer than "
              + limits.maxStartLineBytes() + " bytes", end);
        }
        return null;
      }
      startLineChecked = true;
    }
    int headerEnd = findHeaderEnd();
    if (headerEnd < 0) {
      int headerLimit = Math.min(limits.maxMessageBytes(), limits.maxStartLineBytes()
          + limits.maxHeaderCount() * 64 + limits.maxHeaderLineBytes());
      if (end - start > headerLimit) {
        return fail(Fault.HEADER_SECTION_TOO_LONG, "header section larger than " + headerLimit
            + " bytes without an empty line", end);
      }
      return null;
    }
    Fault clFault = readContentLength(start, headerEnd);
    if (clFault != null) {
      String reason = switch (clFault) {
        case CONTENT_LENGTH_MISSING -> "Content-Length missing on a stream transport";
        case CONTENT_LENGTH_REPEATED -> "multiple Content-Length header fields";
        default -> "Content-Length is not a valid number";
      };
      return fail(clFault, reason, headerEnd + 4);
    }
    long total = (long) (headerEnd + 4 - start) + contentLength;
    if (total > limits.maxMessageBytes()) {
      return fail(Fault.MESSAGE_TOO_LARGE, "message of " + total + " bytes exceeds the limit of "
          + limits.maxMessageBytes(), headerEnd + 4);
    }
    if (end - start < total) return null;
    byte[] msg = Arrays.copyOfRange(buf, start, start + (int) total);
    startLineChecked = false;
    start += (int) total;
    scanFrom = start;
    if (start == end) {
      start = end = scanFrom = 0;
    }
    return new Frame.Message(msg);
  }

  private Frame fail(Fault fault, String reason, int contextEnd) {
    failed = true;
    byte[] ctx = Arrays.copyOfRange(buf, start, Math.min(contextEnd, end));
    return new Frame.Error(fault, reason, ctx);
  }

  /** What the start of the buffered message says. */
  private enum StartLine { SIP, INCOMPLETE, NOT_SIP }

  /**
   * Whether the buffered message starts like SIP: a status line ({@code SIP/}) or a request
   * line (a method token, a space, ..., a space and {@code SIP/}); INCOMPLETE until more bytes
   * come, NOT_SIP at the first byte that is neither, or a whole line that is neither.
   */
  private StartLine startLine() {
    int limit = Math.min(end, start + limits.maxStartLineBytes() + 2);
    int i = start;
    while (i < limit && clearip.proxy.sip.syntax.SipChars.isToken(buf[i])) i++;
    if (i == limit) return StartLine.INCOMPLETE;
    boolean response = i - start >= 3 && buf[start] == 'S' && buf[start + 1] == 'I'
        && buf[start + 2] == 'P' && buf[i] == '/';
    if (i == start || (buf[i] != ' ' && !response)) return StartLine.NOT_SIP;
    int lf = i;
    while (lf < limit && buf[lf] != '\n') lf++;
    if (lf == limit) return StartLine.INCOMPLETE;
    if (response) return StartLine.SIP;
    // a request line ends with " SIP/2.0": look for " SIP/" in it
    for (int k = i; k + 5 <= lf; k++) {
      if (buf[k] == ' ' && buf[k + 1] == 'S' && buf[k + 2] == 'I' && buf[k + 3] == 'P'
          && buf[k + 4] == '/') {
        return StartLine.SIP;
      }
    }
    return StartLine.NOT_SIP;
  }

  /** Index of the CR of the CRLFCRLF ending the header section, or -1. */
  private int findHeaderEnd() {
    int i = Math.max(start, scanFrom);
    int last = end - 3;
    while (i < last) {
      if (buf[i + 3] != '\n') {
        i++;
        continue;
      }
      if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r') return i;
      i++;
    }
    scanFrom = Math.max(start, end - 3);
    return -1;
  }

  /**
   * Reads the Content-Length of the header section [from, headerEnd) into {@link
   * #contentLength}; null when there is exactly one valid one, else the fault. Accepts the
   * compact form {@code l} and white space before the colon.
   */
  private Fault readContentLength(int from, int headerEnd) {
    boolean found = false;
    int i = from;
    // skip the start line
    while (i < headerEnd && buf[i] != '\n') i++;
    i++;
    while (i < headerEnd + 2) {
      int lineStart = i;
      while (i < headerEnd + 2 && buf[i] != '\r') i++;
      int lineEnd = i;
      i += 2;
      if (lineStart == lineEnd || buf[lineStart] == ' ' || buf[lineStart] == '\t') continue;
      int n = lineStart;
      while (n < lineEnd && buf[n] != ':' && buf[n] != ' ' && buf[n] != '\t') n++;
      boolean isCl = (n - lineStart == 1 && (buf[lineStart] | 0x20) == 'l')
          || clearip.proxy.sip.syntax.SipChars.equalsIgnoreCase(buf, lineStart,
              n - lineStart, "content-length");
      if (!isCl) continue;
      if (found) return Fault.CONTENT_LENGTH_REPEATED;
      int c = clearip.proxy.sip.syntax.SipChars.indexOf(buf, (byte) ':', n, lineEnd);
      if (c < 0) return Fault.CONTENT_LENGTH_INVALID;
      int vs = clearip.proxy.sip.syntax.SipChars.skipLws(buf, c + 1, lineEnd);
      int ve = clearip.proxy.sip.syntax.SipChars.trimLwsEnd(buf, vs, lineEnd);
      long v = clearip.proxy.sip.syntax.SipChars.parseUnsigned(buf, vs, ve,
          Integer.MAX_VALUE);
      if (v < 0) return Fault.CONTENT_LENGTH_INVALID;
      found = true;
      contentLength = (int) v;
    }
    return found ? null : Fault.CONTENT_LENGTH_MISSING;
  }
}
