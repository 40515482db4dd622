package clearip.proxy.sip.syntax;

import static clearip.proxy.sip.syntax.SipChars.isLws;
import static clearip.proxy.sip.syntax.SipChars.isParamValueChar;
import static clearip.proxy.sip.syntax.SipChars.isToken;
import static clearip.proxy.sip.syntax.SipChars.skipLws;
import static clearip.proxy.sip.syntax.SipChars.skipQuoted;
import static clearip.proxy.sip.syntax.SipChars.skipToken;

/**
 * Allocation-free scanners for the structured header values the proxy reads (Via, name-addr,
 * parameters). Each returns the index where the value ends (at a top-level comma or the end of
 * the span) and fills span offsets into a caller's int array, or returns -1 when the value does
 * not follow the grammar.
 */
public final class HeaderScanner {
  private HeaderScanner() {}

  // Via spans
  public static final int VIA_PROTOCOL = 0; // name start; name end at +1
  public static final int VIA_VERSION = 2;
  public static final int VIA_TRANSPORT = 4;
  public static final int VIA_HOST = 6;
  public static final int VIA_PORT = 8; // port value, or -1 in [8]
  public static final int VIA_PARAMS = 9; // params start (at first ';'), end at +1
  public static final int VIA_BRANCH = 11; // value of the first branch param, end at +1; -1 if none
  public static final int VIA_SPANS = 13;

  /**
   * Scans one via-parm starting at i: {@code sent-protocol LWS sent-by *(SEMI via-params)}.
   * Returns the index after it (at ',' or to, LWS skipped) or -1.
   */
  public static int scanVia(byte[] b, int i, int to, int[] out) {
    // sent-protocol = name SLASH version SLASH transport, LWS allowed around each slash
    i = token(b, skipLws(b, i, to), to, out, VIA_PROTOCOL);
    if (i < 0) return -1;
    i = slashToken(b, i, to, out, VIA_VERSION);
    if (i < 0) return -1;
    i = slashToken(b, i, to, out, VIA_TRANSPORT);
    if (i < 0) return -1;
    if (i >= to || !isLws(b[i])) return -1;
    i = skipLws(b, i, to);
    i = scanHostPort(b, i, to, out, VIA_HOST, VIA_PORT);
    if (i < 0) return -1;
    i = skipLws(b, i, to);
    out[VIA_PARAMS] = i;
    i = scanParams(b, i, to, "branch", out, VIA_BRANCH);
    if (i < 0) return -1;
    out[VIA_PARAMS + 1] = trimEnd(b, out[VIA_PARAMS], i);
    return endOfValue(b, i, to);
  }

  /** A non-empty token at i, its span written at out[at], out[at+1]; the index after it or -1. */
  private static int token(byte[] b, int i, int to, int[] out, int at) {
    int e = skipToken(b, i, to);
    if (e == i) return -1;
    out[at] = i;
    out[at + 1] = e;
    return e;
  }

  /** {@code SWS "/" SWS token}, the token's span written at out[at]. */
  private static int slashToken(byte[] b, int i, int to, int[] out, int at) {
    i = skipLws(b, i, to);
    if (i >= to || b[i] != '/') return -1;
    return token(b, skipLws(b, i + 1, to), to, out, at);
  }

  /**
   * Scans {@code host [":" port]}; host is a hostname, IPv4 address or bracketed IPv6 reference.
   * Writes host start/end at out[h], out[h+1] and the port (or -1) at out[p].
   */
  public static int scanHostPort(byte[] b, int i, int to, int[] out, int h, int p) {
    int s = i;
    if (i < to && b[i] == '[') {
      int close = SipChars.indexOf(b, (byte) ']', i, to);
      if (close < 0 || close == i + 1) return -1;
      for (int k = i + 1; k < close; k++) {
        byte c = b[k];
        boolean ok = c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
            || (c >= 'A' && c <= 'F');
        if (!ok) return -1;
      }
      i = close + 1;
    } else {
      while (i < to && SipChars.isHostChar(b[i])) i++;
      if (i == s) return -1;
    }
    out[h] = s;
    out[h + 1] = i;
    out[p] = -1;
    int j = skipLws(b, i, to);
    if (j < to && b[j] == ':') {
      j = skipLws(b, j + 1, to);
      int ps = j;
      while (j < to && b[j] >= '0' && b[j] <= '9') j++;
      long port = SipChars.parseUnsigned(b, ps, j, 65_535);
      if (port < 0) return -1;
      out[p] = (int) port;
      return j;
    }
    return i;
  }

  /**
   * Scans {@code *( SEMI generic-param )} from i; returns the index after the last parameter
   * (LWS before a following non-';' byte not consumed) or -1 on an empty name or value.
   */
  public static int scanParams(byte[] b, int i, int to) {
    return scanParams(b, i, to, null, null, 0);
  }

  /**
   * As {@link #scanParams(byte[], int, int)}, and writes the value span of the first parameter
   * named {@code lowerName} at out[at], out[at+1] exactly as {@link #findParam} would return it,
   * or -1 at out[at] when there is none: the scan that validates the parameters finds it on the
   * way, so the hot fields (Via branch, tag) need no second pass. A null name records nothing.
   */
  public static int scanParams(byte[] b, int i, int to, String lowerName, int[] out, int at) {
    if (lowerName != null) out[at] = -1;
    while (true) {
      int j = skipLws(b, i, to);
      if (j >= to || b[j] != ';') return i;
      j = skipLws(b, j + 1, to);
      int ns = j;
      j = skipToken(b, j, to);
      if (j == ns) return -1;
      int ne = j;
      i = j;
      int vs = ne; // a parameter without a value has the empty span at its name's end
      j = skipLws(b, j, to);
      if (j < to && b[j] == '=') {
        j = skipLws(b, j + 1, to);
        vs = j;
        if (j < to && b[j] == '"') {
          j = skipQuoted(b, j, to);
          if (j < 0) return -1;
        } else {
          while (j < to && isParamValueChar(b[j])) j++;
          if (j == vs) return -1;
        }
        i = j;
      }
      if (lowerName != null && out[at] < 0
          && SipChars.equalsIgnoreCase(b, ns, ne - ns, lowerName)) {
        out[at] = vs;
        out[at + 1] = i;
      }
    }
  }

  /**
   * Finds parameter {@code lowerName} in a scanned parameter span; returns the value span packed
   * as {@code start << 32 | end} (start == end for a parameter without value), or -1 if absent.
   * Quotes around a quoted value are kept.
   */
  public static long findParam(byte[] b, int from, int to, String lowerName) {
    int i = from;
    while (true) {
      i = skipLws(b, i, to);
      if (i >= to || b[i] != ';') return -1;
      i = skipLws(b, i + 1, to);
      int ns = i;
      i = skipToken(b, i, to);
      int ne = i;
      i = skipLws(b, i, to);
      int vs = ne;
      int ve = ne;
      if (i < to && b[i] == '=') {
        i = skipLws(b, i + 1, to);
        vs = i;
        if (i < to && b[i] == '"') {
          i = skipQuoted(b, i, to);
          if (i < 0) return -1;
        } else {
          while (i < to && isParamValueChar(b[i])) i++;
        }
        ve = i;
      }
      if (SipChars.equalsIgnoreCase(b, ns, ne - ns, lowerName)) return ((long) vs << 32) | ve;
    }
  }

  // name-addr spans
  public static final int NA_DISPLAY = 0; // display name start/end (quotes kept), equal if none
  public static final int NA_URI = 2; // URI start/end without the angle brackets
  public static final int NA_PARAMS = 4; // header parameters start/end
  public static final int NA_ANGLE = 6; // 1 when the URI was in <>
  public static final int NA_TAG = 7; // value of the first tag param, end at +1; -1 if none
  public static final int NA_SPANS = 9;

  /**
   * Scans {@code (name-addr / addr-spec) *(SEMI param)} as in From, To, Contact, Route; returns
   * the index at the following top-level ',' or to, or -1.
   */
  public static int scanNameAddr(byte[] b, int i, int to, int[] out) {
    i = skipLws(b, i, to);
    if (i >= to) return -1;
    int ds = i;
    int de = i;
    if (b[i] == '"') {
      i = skipQuoted(b, i, to);
      if (i < 0) return -1;
      de = i;
      i = skipLws(b, i, to);
      if (i >= to || b[i] != '<') return -1;
    } else if (b[i] != '<') {
      // a display name of tokens followed by '<', else an addr-spec
      int j = i;
      while (j < to && (isToken(b[j]) || b[j] == ' ' || b[j] == '\t' || b[j] == '\r'
          || b[j] == '\n')) {
        j++;
      }
      if (j < to && b[j] == '<') {
        de = SipChars.trimLwsEnd(b, i, j);
        i = j;
      }
    }
    out[NA_DISPLAY] = ds;
    out[NA_DISPLAY + 1] = de;
    if (i < to && b[i] == '<') {
      int us = i + 1;
      // one pass to the '>': no LWS (badaspec), '<' or '"' may come before it
      int close = SipChars.skipAngleUri(b, us, to);
      if (close >= to || b[close] != '>' || close == us) return -1;
      if (!hasScheme(b, us, close)) return -1;
      out[NA_URI] = us;
      out[NA_URI + 1] = close;
      out[NA_ANGLE] = 1;
      i = close + 1;
    } else {
      // addr-spec: its URI cannot hold ',', ';' or '?' (RFC 3261 section 20), so it ends at ';'
      int us = i;
      while (i < to && b[i] != ';' && b[i] != ',' && !isLws(b[i])) {
        if (b[i] == '?' || b[i] == '<' || b[i] == '>' || b[i] == '"') return -1;
        i++;
      }
      if (!hasScheme(b, us, i) && !(i - us == 1 && b[us] == '*')) return -1;
      out[NA_URI] = us;
      out[NA_URI + 1] = i;
      out[NA_ANGLE] = 0;
    }
    int ps = skipLws(b, i, to);
    out[NA_PARAMS] = ps;
    i = scanParams(b, i, to, "tag", out, NA_TAG);
    if (i < 0) return -1;
    out[NA_PARAMS + 1] = i < ps ? ps : i;
    return endOfValue(b, i, to);
  }

  /** True when b[from,to) starts with {@code scheme ":"} and has something after it. */
  public static boolean hasScheme(byte[] b, int from, int to) {
    if (from >= to) return false;
    byte c = b[from];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
    for (int i = from + 1; i < to; i++) {
      c = b[i];
      if (c == ':') return i + 1 < to;
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '+' || c == '-' || c == '.';
      if (!ok) return false;
    }
    return false;
  }

  /** After a value: LWS, then a ',' or the end; anything else is junk. */
  private static int endOfValue(byte[] b, int i, int to) {
    i = skipLws(b, i, to);
    if (i < to && b[i] != ',') return -1;
    return i;
  }

  /**
   * Index of the next top-level ',' (outside quotes and angle brackets) at or after i, or to.
   * Returns -1 for an unterminated quote or bracket.
   */
  public static int nextComma(byte[] b, int i, int to) {
    while (i < to) {
      byte c = b[i];
      if (c == ',') return i;
      if (c == '"') {
        i = skipQuoted(b, i, to);
        if (i < 0) return -1;
      } else if (c == '<') {
        i = SipChars.indexOf(b, (byte) '>', i, to);
        if (i < 0) return -1;
        i++;
      } else {
        i++;
      }
    }
    return to;
  }

  private static int trimEnd(byte[] b, int from, int to) {
    return SipChars.trimLwsEnd(b, from, to);
  }
}
