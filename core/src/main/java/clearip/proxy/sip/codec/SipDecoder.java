package clearip.proxy.sip.codec;

import static clearip.proxy.sip.syntax.SipChars.equalsIgnoreCase;

import clearip.proxy.sip.header.CSeq;
import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.message.ResponseContext;
import clearip.proxy.sip.message.SipMessage;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.syntax.HeaderScanner;
import clearip.proxy.sip.syntax.SipChars;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Decodes one already-framed SIP message (a UDP datagram, or one message cut from a stream by
 * {@link SipStreamFramer}) into an index over its bytes. Stateless and thread-safe.
 *
 * <p>Bad input becomes {@link Decoded.Malformed}, never a thrown exception: the transport turns it
 * into a stateless error response or a logged drop.
 */
public final class SipDecoder {

  /** How the message was framed, which decides what Content-Length means (RFC 3261 18.3). */
  public enum Framing {
    /** One datagram: Content-Length optional; octets past it are ignored. */
    DATAGRAM,
    /** Cut from a stream by Content-Length: the header is mandatory and must match. */
    STREAM
  }

  private static final int[] EMPTY_INDEX = new int[0];
  private static final int VIA = HeaderName.VIA.id();
  private static final int CALL_ID = HeaderName.CALL_ID.id();
  private static final int FROM = HeaderName.FROM.id();
  private static final int TO = HeaderName.TO.id();
  private static final int CSEQ = HeaderName.CSEQ.id();
  private static final int MAX_FORWARDS = HeaderName.MAX_FORWARDS.id();
  private static final int CONTENT_LENGTH = HeaderName.CONTENT_LENGTH.id();
  private static final int CONTACT = HeaderName.CONTACT.id();
  private static final int DATE = HeaderName.DATE.id();

  private final ParseLimits limits;

  public SipDecoder(ParseLimits limits) {
    this.limits = Objects.requireNonNull(limits);
  }

  public SipDecoder() {
    this(ParseLimits.DEFAULT);
  }

  public ParseLimits limits() {
    return limits;
  }

  /** Decodes a whole datagram. */
  public Decoded decode(byte[] message) {
    return decode(message, 0, message.length, Framing.DATAGRAM);
  }

  /**
   * Decodes {@code buf[off, off+len)}. The array is referenced, not copied, by the resulting
   * message: the caller must not modify it afterwards.
   */
  public Decoded decode(byte[] buf, int off, int len, Framing framing) {
    return new Run(buf, off, off + len, framing, limits).decode();
  }

  /** True when the datagram is only CR/LF octets: an RFC 5626 keep-alive, to be ignored. */
  public static boolean isKeepAlive(byte[] buf, int off, int len) {
    if (len == 0) return false;
    for (int i = off; i < off + len; i++) {
      if (buf[i] != '\r' && buf[i] != '\n') return false;
    }
    return true;
  }

  /**
   * One decoding pass; holds the positions found so far. It is the message's layout itself, so
   * a decode allocates one object for both.
   */
  private static final class Run extends SipMessage.Layout {
    // the end of the input; the message's own end (Layout.end) is known once the body is read
    final int inputEnd;
    final Framing framing;
    final ParseLimits limits;

    int status;
    String reason;
    boolean request = true;
    // one scratch array for every span scan of this run (Via needs the most)
    final int[] spans = new int[HeaderScanner.VIA_SPANS];
    // counts and first positions of the mandatory headers, noted while indexing
    int contentLengths;
    int callIds;
    int froms;
    int tos;
    int cseqs;
    int maxForwardsCount;
    int firstCallId = -1;
    int firstFrom = -1;
    int firstTo = -1;
    int firstCseq = -1;
    int firstMaxForwards = -1;
    int firstContentLength = -1;

    Run(byte[] buf, int off, int end, Framing framing, ParseLimits limits) {
      this.inputEnd = end;
      this.framing = framing;
      this.limits = limits;
      this.buf = buf;
      this.start = off;
      this.index = EMPTY_INDEX;
    }

    private boolean fail(int status, String reason) {
      if (this.reason == null) {
        this.status = status;
        this.reason = reason;
      }
      return false;
    }

    Decoded decode() {
      int i = start;
      // leading CRLFs are keep-alives or stream slack (RFC 3261 7.5, RFC 5626)
      while (i + 1 < inputEnd && buf[i] == '\r' && buf[i + 1] == '\n') i += 2;
      start = i;
      if (i >= inputEnd) {
        request = false;
        fail(0, "empty message");
        return malformed();
      }
      if (inputEnd - i > limits.maxMessageBytes()) {
        fail(513, "message larger than " + limits.maxMessageBytes() + " bytes");
      }
      boolean startOk = startLine(i);
      if (startLineEnd == 0) return malformed();
      boolean headersOk = headers(startLineEnd + 2);
      if (!startOk || !headersOk || reason != null) return malformed();
      if (!body() || !validate()) return malformed();
      return new Decoded.Ok(request ? new SipRequest(this) : new SipResponse(this));
    }

    // ---- start line ----

    private boolean startLine(int i) {
      int limit = Math.min(inputEnd, i + limits.maxStartLineBytes() + 1);
      int cr = SipChars.indexOf(buf, (byte) '\r', i, limit);
      request = !(inputEnd - i >= 4 && equalsIgnoreCase(buf, i, 4, "sip/"));
      if (cr < 0 || cr + 1 >= inputEnd || buf[cr + 1] != '\n') {
        if (limit < inputEnd && cr < 0) {
          return fail(request ? 414 : 0, "start line longer than " + limits.maxStartLineBytes()
              + " bytes");
        }
        return fail(request ? 400 : 0, "start line not terminated by CRLF");
      }
      startLineEnd = cr;
      return request ? requestLine(i, cr) : statusLine(i, cr);
    }

    private boolean statusLine(int i, int cr) {
      request = false;
      if (cr - i < 12 || !equalsIgnoreCase(buf, i, 7, "sip/2.0") || buf[i + 7] != ' ') {
        return fail(0, "malformed status line");
      }
      int c = i + 8;
      int code = 0;
      for (int k = 0; k < 3; k++) {
        int d = buf[c + k] - '0';
        if (d < 0 || d > 9) return fail(0, "malformed status code");
        code = code * 10 + d;
      }
      if (buf[c + 3] != ' ') return fail(0, "malformed status code");
      if (code < 100 || code > 699) return fail(0, "status code out of range");
      if (SipChars.indexOf(buf, (byte) '\n', c + 4, cr) >= 0) {
        return fail(0, "bare LF in reason phrase");
      }
      statusCode = code;
      reasonStart = c + 4;
      return true;
    }

    private boolean requestLine(int i, int cr) {
      int m = SipChars.skipToken(buf, i, cr);
      if (m == i || m >= cr || buf[m] != ' ') return fail(400, "malformed request line");
      methodEnd = m;
      int us = m + 1;
      // the first SP ends the URI; any other control octet before it is refused
      int ue = SipChars.indexOfSpaceOrControl(buf, us, cr);
      if (ue < 0) {
        ue = cr;
      } else if (buf[ue] != ' ') {
        return fail(400, "control octet in Request-URI");
      }
      if (ue == us) return fail(400, "malformed request line (empty Request-URI)");
      if (ue >= cr) return fail(400, "malformed request line (no SIP version)");
      uriStart = us;
      uriEnd = ue;
      int vs = ue + 1;
      if (cr - vs != 7 || !equalsIgnoreCase(buf, vs, 7, "sip/2.0")) {
        if (looksLikeVersion(vs, cr)) return fail(505, "SIP version not supported");
        return fail(400, "malformed request line");
      }
      if (buf[us] == '<') return fail(400, "Request-URI in angle brackets");
      if (!HeaderScanner.hasScheme(buf, us, ue)) return fail(400, "Request-URI without scheme");
      if (isSipScheme(us, ue) && !validSipRequestUri(us, ue)) {
        return fail(400, "malformed SIP Request-URI");
      }
      return true;
    }

    private boolean looksLikeVersion(int vs, int cr) {
      if (cr - vs < 7 || !equalsIgnoreCase(buf, vs, 4, "sip/")) return false;
      boolean dot = false;
      for (int k = vs + 4; k < cr; k++) {
        byte c = buf[k];
        if (c == '.' && !dot) {
          dot = true;
        } else if (c < '0' || c > '9') {
          return false;
        }
      }
      return dot;
    }

    private boolean isSipScheme(int us, int ue) {
      return (ue - us > 4 && equalsIgnoreCase(buf, us, 4, "sip:"))
          || (ue - us > 5 && equalsIgnoreCase(buf, us, 5, "sips:"));
    }

    /** Host part well-formed; no embedded headers (RFC 3261 19.1.5 forbids them here). */
    private boolean validSipRequestUri(int us, int ue) {
      int colon = SipChars.indexOf(buf, (byte) ':', us, ue);
      int at = SipChars.indexOf(buf, (byte) '@', colon + 1, ue);
      int hs = at < 0 ? colon + 1 : at + 1;
      if (at == colon + 1) return false;
      int e = HeaderScanner.scanHostPort(buf, hs, ue, spans, 0, 2);
      if (e < 0) return false;
      if (e < ue && buf[e] != ';') return false;
      return SipChars.indexOf(buf, (byte) '?', e, ue) < 0;
    }

    // ---- header section ----

    private boolean headers(int p) {
      // room for 16 header fields, which most messages fit in; grown by doubling
      int[] idx = new int[16 * STRIDE];
      int n = 0;
      try {
        while (true) {
          if (p + 1 < inputEnd && buf[p] == '\r' && buf[p + 1] == '\n') {
            headersEnd = p;
            bodyStart = p + 2;
            return true;
          }
          if (p >= inputEnd) return fail(400, "header section not terminated by an empty line");
          if (buf[p] == ' ' || buf[p] == '\t') {
            return fail(400, "continuation line without a header");
          }
          int ns = p;
          // A known name is found from where the name must end (':' or white space), and a
          // match proves its bytes are token characters, so that is where its token ends. Any
          // other name is scanned as a token; when that token ends elsewhere, the line is
          // malformed (no colon follows it) and its id is never used.
          int c = SipChars.indexOfColonSpaceOrControl(buf, ns, inputEnd);
          int id = c > ns ? HeaderName.lookupId(buf, ns, c - ns) : HeaderName.UNKNOWN;
          int ne = id != HeaderName.UNKNOWN ? c : SipChars.skipToken(buf, ns, inputEnd);
          p = ne;
          if (ne == ns) return fail(400, "malformed header line");
          while (p < inputEnd && (buf[p] == ' ' || buf[p] == '\t')) p++;
          if (p >= inputEnd || buf[p] != ':') return fail(400, "malformed header line (no colon)");
          p++;
          int vs = p;
          int maxEnd = Math.min(inputEnd, ns + limits.maxHeaderLineBytes() + 2);
          int cr;
          while (true) {
            // one pass finds the CR and refuses a bare LF on the way
            cr = SipChars.indexOfCrOrLf(buf, p, maxEnd);
            if (cr >= 0 && buf[cr] == '\n') return fail(400, "bare LF in header");
            if (cr < 0) {
              if (maxEnd < inputEnd) {
                return fail(400, "header field longer than " + limits.maxHeaderLineBytes()
                    + " bytes");
              }
              return fail(400, "header line not terminated by CRLF");
            }
            if (cr + 1 >= inputEnd || buf[cr + 1] != '\n') return fail(400, "bare CR in header");
            if (cr + 2 < inputEnd && (buf[cr + 2] == ' ' || buf[cr + 2] == '\t')) {
              p = cr + 2; // folded continuation (RFC 3261 7.3.1)
              continue;
            }
            break;
          }
          if (n >= limits.maxHeaderCount()) {
            return fail(400, "more than " + limits.maxHeaderCount() + " header fields");
          }
          vs = SipChars.skipLws(buf, vs, cr);
          int ve = SipChars.trimLwsEnd(buf, vs, cr);
          if ((n + 1) * STRIDE > idx.length) idx = java.util.Arrays.copyOf(idx, idx.length * 2);
          int o = n * STRIDE;
          idx[o + ID] = id;
          note(id, n);
          idx[o + LINE] = ns;
          idx[o + VALUE] = vs;
          idx[o + VALUE_END] = ve;
          n++;
          p = cr + 2;
        }
      } finally {
        index = idx;
        headerCount = n;
      }
    }

    private void note(int id, int n) {
      if (id == CALL_ID) {
        if (callIds++ == 0) firstCallId = n;
      } else if (id == FROM) {
        if (froms++ == 0) firstFrom = n;
      } else if (id == TO) {
        if (tos++ == 0) firstTo = n;
      } else if (id == CSEQ) {
        if (cseqs++ == 0) firstCseq = n;
      } else if (id == MAX_FORWARDS) {
        if (maxForwardsCount++ == 0) firstMaxForwards = n;
      } else if (id == CONTENT_LENGTH) {
        if (contentLengths++ == 0) firstContentLength = n;
      }
    }

    // ---- body ----

    private boolean body() {
      int cl = -1;
      int i = firstContentLength;
      if (i >= 0) {
        if (contentLengths > 1) return fail(400, "multiple Content-Length");
        long v = SipChars.parseUnsigned(buf, index[i * STRIDE + VALUE],
            index[i * STRIDE + VALUE_END], Integer.MAX_VALUE);
        if (v < 0) return fail(400, "Content-Length is not a valid number");
        cl = (int) v;
      }
      contentLength = cl;
      int available = inputEnd - bodyStart;
      if (framing == Framing.STREAM) {
        if (cl < 0) return fail(400, "Content-Length missing on a stream transport");
        if (cl != available) return fail(400, "Content-Length does not match the framed body");
        end = inputEnd;
      } else if (cl < 0) {
        end = inputEnd; // RFC 3261 18.3: over UDP the body runs to the end of the datagram
      } else if (cl > available) {
        return fail(400, "Content-Length larger than the datagram");
      } else {
        end = bodyStart + cl; // trailing octets of the datagram are ignored
      }
      return true;
    }

    // ---- mandatory headers ----

    private boolean validate() {
      int[] s = spans;
      int viaValues = 0;
      for (int i = 0; i < headerCount; i++) {
        int o = i * STRIDE;
        int id = index[o + ID];
        if (id == VIA) {
          int p = index[o + VALUE];
          int ve = index[o + VALUE_END];
          if (p == ve) return fail(400, "empty Via");
          while (true) {
            int e = HeaderScanner.scanVia(buf, p, ve, s);
            if (e < 0) return fail(400, "malformed Via");
            // the scan that validated the top Via value found its branch
            if (viaValues++ == 0 && s[HeaderScanner.VIA_BRANCH] >= 0) {
              branchStart = s[HeaderScanner.VIA_BRANCH];
              branchEnd = s[HeaderScanner.VIA_BRANCH + 1];
            }
            if (e >= ve) break;
            p = e + 1;
          }
        } else if (id == CONTACT) {
          if (!validNameAddrList(index[o + VALUE], index[o + VALUE_END], true)) {
            return fail(400, "malformed Contact");
          }
        } else if (id == DATE) {
          int ve = index[o + VALUE_END];
          if (ve - index[o + VALUE] < 4 || !SipChars.equalsBytes(buf, ve - 4, 4, " GMT")) {
            return fail(400, "malformed Date (RFC 1123 date in GMT required)");
          }
        }
      }
      if (viaValues == 0) return fail(400, "missing Via");
      if (viaValues > limits.maxViaCount()) {
        return fail(400, "more than " + limits.maxViaCount() + " Via values");
      }
      if (!single(HeaderName.CALL_ID, callIds) || !single(HeaderName.FROM, froms)
          || !single(HeaderName.TO, tos) || !single(HeaderName.CSEQ, cseqs)) {
        return false;
      }
      if (maxForwardsCount > 1) return fail(400, "multiple Max-Forwards");
      if (!callId() || !nameAddr(HeaderName.FROM, firstFrom, true)
          || !nameAddr(HeaderName.TO, firstTo, false) || !cseq()) {
        return false;
      }
      return maxForwards();
    }

    private boolean single(HeaderName h, int c) {
      if (c == 0) return fail(request ? 400 : 0, "missing " + h.name());
      if (c > 1) return fail(request ? 400 : 0, "multiple " + h.name() + " header fields");
      return true;
    }

    private boolean callId() {
      int i = firstCallId;
      int vs = index[i * STRIDE + VALUE];
      int ve = index[i * STRIDE + VALUE_END];
      if (vs == ve) return fail(request ? 400 : 0, "empty Call-ID");
      for (int k = vs; k < ve; k++) {
        if (!SipChars.isWordChar(buf[k]) && buf[k] != '@') {
          return fail(request ? 400 : 0, "malformed Call-ID");
        }
      }
      return true;
    }

    private boolean nameAddr(HeaderName h, int i, boolean from) {
      int vs = index[i * STRIDE + VALUE];
      int ve = index[i * STRIDE + VALUE_END];
      int[] s = spans;
      int e = HeaderScanner.scanNameAddr(buf, vs, ve, s);
      if (e < 0 || e != ve) return fail(request ? 400 : 0, "malformed " + h.name());
      // found by the scan above; start == end records "no tag"
      boolean tagged = s[HeaderScanner.NA_TAG] >= 0;
      int ts = tagged ? s[HeaderScanner.NA_TAG] : 0;
      int te = tagged ? s[HeaderScanner.NA_TAG + 1] : 0;
      if (from) {
        fromTagStart = ts;
        fromTagEnd = te;
      } else {
        toTagStart = ts;
        toTagEnd = te;
      }
      return true;
    }

    private boolean validNameAddrList(int p, int ve, boolean allowStar) {
      if (p == ve) return false;
      if (allowStar && ve - p == 1 && buf[p] == '*') return true;
      int[] s = spans;
      while (true) {
        int e = HeaderScanner.scanNameAddr(buf, p, ve, s);
        if (e < 0) return false;
        if (e >= ve) return true;
        p = e + 1;
      }
    }

    private boolean cseq() {
      int i = firstCseq;
      int vs = index[i * STRIDE + VALUE];
      int ve = index[i * STRIDE + VALUE_END];
      int d = vs;
      while (d < ve && buf[d] >= '0' && buf[d] <= '9') d++;
      long n = SipChars.parseUnsigned(buf, vs, d, CSeq.MAX);
      if (n < 0) return fail(request ? 400 : 0, "malformed CSeq number");
      int ms = SipChars.skipLws(buf, d, ve);
      if (ms == d || ms >= ve) return fail(request ? 400 : 0, "malformed CSeq");
      int me = SipChars.skipToken(buf, ms, ve);
      if (me != ve) return fail(request ? 400 : 0, "malformed CSeq method");
      if (request) {
        int mlen = methodEnd - start;
        if (me - ms != mlen || !java.util.Arrays.equals(buf, ms, me, buf, start, methodEnd)) {
          return fail(400, "CSeq method does not match the request method");
        }
      }
      cseqNumber = n;
      cseqMethodStart = ms;
      cseqMethodEnd = me;
      return true;
    }

    private boolean maxForwards() {
      int i = firstMaxForwards;
      if (i < 0) return true;
      long v = SipChars.parseUnsigned(buf, index[i * STRIDE + VALUE],
          index[i * STRIDE + VALUE_END], Integer.MAX_VALUE);
      if (v < 0) return fail(request ? 400 : 0, "malformed Max-Forwards");
      maxForwards = (int) v;
      return true;
    }

    // ---- error result ----

    private Decoded malformed() {
      String method = request && methodEnd > start ? SipChars.string(buf, start, methodEnd) : null;
      List<String> vias = new ArrayList<>(2);
      String from = null;
      String to = null;
      String callId = null;
      String cseq = null;
      // a request is answered with these; a response's Vias tell whose answer was unusable
      if (request || headerCount > 0) {
        for (int i = 0; i < headerCount; i++) {
          int o = i * STRIDE;
          int id = index[o + ID];
          String v = SipChars.unfolded(buf, index[o + VALUE], index[o + VALUE_END]);
          if (id == HeaderName.VIA.id()) {
            vias.add(v);
          } else if (id == HeaderName.FROM.id() && from == null) {
            from = v;
          } else if (id == HeaderName.TO.id() && to == null) {
            to = v;
          } else if (id == HeaderName.CALL_ID.id() && callId == null) {
            callId = v;
          } else if (id == HeaderName.CSEQ.id() && cseq == null) {
            cseq = v;
          }
        }
      }
      return new Decoded.Malformed(status, reason, request, method,
          new ResponseContext(vias, from, to, callId, cseq));
    }
  }
}
