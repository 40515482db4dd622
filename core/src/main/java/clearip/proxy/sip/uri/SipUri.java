package clearip.proxy.sip.uri;

import clearip.proxy.sip.syntax.HeaderScanner;
import clearip.proxy.sip.syntax.Parameters;
import clearip.proxy.sip.syntax.SipChars;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A SIP or SIPS URI (RFC 3261 section 19.1): {@code sip:user:password@host:port;params?headers}.
 * Parameters keep their order, case and values as written, so a URI can be rebuilt faithfully.
 *
 * @param user user part as written (may contain escapes and ';'), null when absent
 * @param password null when absent
 * @param host host; an IPv6 reference keeps its brackets
 * @param port -1 when absent
 * @param headers the text after '?', null when absent
 */
public record SipUri(String scheme, String user, String password, String host, int port,
    Parameters params, String headers) implements Uri {

  /** Parses a sip: or sips: URI; null when malformed. */
  public static SipUri parse(String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    return parse(b, 0, b.length);
  }

  /** Parses a sip: or sips: URI in b[from,to); null when malformed. */
  public static SipUri parse(byte[] b, int from, int to) {
    int[] s = new int[SPANS];
    if (!scan(b, from, to, s)) return null;
    String scheme = s[SCHEME_END] - from == 3 ? "sip" : "sips";
    String user = s[USER] < 0 ? null : str(b, s[USER], s[USER + 1]);
    String password = s[PASSWORD] < 0 ? null : str(b, s[PASSWORD], s[PASSWORD + 1]);
    String host = str(b, s[HOST], s[HOST + 1]);
    Parameters params = s[PARAMS] < s[PARAMS + 1] ? parseUriParams(b, s[PARAMS], s[PARAMS + 1])
        : Parameters.EMPTY;
    String headers = s[HEADERS] < 0 ? null : str(b, s[HEADERS], to);
    return new SipUri(scheme, user, password, host, s[PORT], params, headers);
  }

  /**
   * Reads the URI in b[from,to) as {@link #parse(byte[], int, int)} does, without building it:
   * writes the host span (IPv6 brackets kept) to hostSpan[0] and hostSpan[1] and returns what
   * {@link #portOrDefault()} would; -1 when the URI is malformed.
   */
  public static int hostAndPort(byte[] b, int from, int to, int[] hostSpan) {
    int[] s = new int[SPANS];
    if (!scan(b, from, to, s)) return -1;
    hostSpan[0] = s[HOST];
    hostSpan[1] = s[HOST + 1];
    if (s[PORT] >= 0) return s[PORT];
    boolean sips = s[SCHEME_END] - from == 4;
    return sips || transportIsTls(b, s[PARAMS], s[PARAMS + 1]) ? 5061 : 5060;
  }

  // what scan() finds: start/end pairs in b, start -1 when the part is absent
  private static final int SCHEME_END = 0;
  private static final int USER = 1;
  private static final int PASSWORD = 3;
  private static final int HOST = 5;
  private static final int PORT = 7; // the value, -1 when absent
  private static final int PARAMS = 8; // from the first ';', empty when none
  private static final int HEADERS = 10; // after '?', up to the end
  private static final int SPANS = 11;

  /** Validates a sip: or sips: URI in b[from,to) and finds its parts; false when malformed. */
  private static boolean scan(byte[] b, int from, int to, int[] out) {
    int colon = SipChars.indexOf(b, (byte) ':', from, to);
    if (colon < 0) return false;
    int schemeLength = colon - from;
    if (!(schemeLength == 3 && SipChars.equalsIgnoreCase(b, from, 3, "sip"))
        && !(schemeLength == 4 && SipChars.equalsIgnoreCase(b, from, 4, "sips"))) {
      return false;
    }
    out[SCHEME_END] = colon;
    int i = colon + 1;
    int at = SipChars.indexOf(b, (byte) '@', i, to);
    out[USER] = -1;
    out[PASSWORD] = -1;
    if (at >= 0) {
      // the password, if any, follows the first ':' of the userinfo
      int pw = SipChars.indexOf(b, (byte) ':', i, at);
      int userEnd = pw >= 0 ? pw : at;
      if (userEnd == i) return false;
      out[USER] = i;
      out[USER + 1] = userEnd;
      if (pw >= 0) {
        out[PASSWORD] = pw + 1;
        out[PASSWORD + 1] = at;
      }
      for (int k = i; k < at; k++) {
        if (b[k] <= ' ' || b[k] == '<' || b[k] == '>' || b[k] == '"') return false;
      }
      i = at + 1;
    }
    int j = HeaderScanner.scanHostPort(b, i, to, out, HOST, PORT);
    if (j < 0) return false;
    // scanHostPort skips white space before ':' (header grammar); a URI has none
    for (int k = i; k < j; k++) {
      if (b[k] <= ' ') return false;
    }
    int q = SipChars.indexOf(b, (byte) '?', j, to);
    int paramsEnd = q < 0 ? to : q;
    out[PARAMS] = j;
    out[PARAMS + 1] = j;
    if (j < paramsEnd) {
      if (b[j] != ';') return false;
      for (int k = j; k < paramsEnd; k++) {
        byte c = b[k];
        if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == ',') return false;
      }
      if (!validUriParams(b, j, paramsEnd)) return false;
      out[PARAMS + 1] = paramsEnd;
    }
    out[HEADERS] = q < 0 ? -1 : q + 1;
    return true;
  }

  /** Each parameter non-empty, and a name before any '='. */
  private static boolean validUriParams(byte[] b, int from, int to) {
    int i = from;
    while (i < to) {
      if (b[i] != ';') return false;
      int s = i + 1;
      int e = s;
      while (e < to && b[e] != ';') e++;
      if (e == s) return false; // empty parameter
      if (SipChars.indexOf(b, (byte) '=', s, e) == s) return false;
      i = e;
    }
    return true;
  }

  // URI parameters allow more characters than header parameters ('/', '&', '$', ...); these are
  // already validated
  private static Parameters parseUriParams(byte[] b, int from, int to) {
    java.util.List<Parameters.Param> out = new java.util.ArrayList<>(4);
    int i = from;
    while (i < to) {
      int s = i + 1;
      int e = s;
      while (e < to && b[e] != ';') e++;
      int eq = SipChars.indexOf(b, (byte) '=', s, e);
      out.add(eq < 0
          ? new Parameters.Param(str(b, s, e), null)
          : new Parameters.Param(str(b, s, eq), str(b, eq + 1, e)));
      i = e;
    }
    return Parameters.of(out);
  }

  /** {@code "tls".equals(transport())} for validated parameters: the first transport counts. */
  private static boolean transportIsTls(byte[] b, int from, int to) {
    int i = from;
    while (i < to) {
      int s = i + 1;
      int e = s;
      while (e < to && b[e] != ';') e++;
      int eq = SipChars.indexOf(b, (byte) '=', s, e);
      int nameEnd = eq < 0 ? e : eq;
      if (SipChars.equalsIgnoreCase(b, s, nameEnd - s, "transport")) {
        return eq >= 0 && SipChars.equalsIgnoreCase(b, eq + 1, e - eq - 1, "tls");
      }
      i = e;
    }
    return false;
  }

  private static String str(byte[] b, int from, int to) {
    return new String(b, from, to - from, StandardCharsets.UTF_8);
  }

  /** The transport parameter in lower case, or null. */
  public String transport() {
    String t = params.get("transport");
    return t == null ? null : t.toLowerCase(Locale.ROOT);
  }

  /** The host without IPv6 brackets. */
  public String hostAddress() {
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }

  /** Port, or the scheme/transport default (5061 for sips or transport=tls, else 5060). */
  public int portOrDefault() {
    if (port >= 0) return port;
    return scheme.equals("sips") || "tls".equals(transport()) ? 5061 : 5060;
  }

  /** The user part without URI user parameters (after ';') and without visual separators. */
  public String userNumber() {
    if (user == null) return null;
    int semi = user.indexOf(';');
    return stripVisualSeparators(semi < 0 ? user : user.substring(0, semi));
  }

  static String stripVisualSeparators(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean visual = c == '-' || c == '.' || c == '(' || c == ')';
      if (visual && sb == null) {
        sb = new StringBuilder(s.length());
        sb.append(s, 0, i);
      } else if (!visual && sb != null) {
        sb.append(c);
      }
    }
    return sb == null ? s : sb.toString();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(scheme).append(':');
    if (user != null) {
      sb.append(user);
      if (password != null) sb.append(':').append(password);
      sb.append('@');
    }
    sb.append(host);
    if (port >= 0) sb.append(':').append(port);
    sb.append(params);
    if (headers != null) sb.append('?').append(headers);
    return sb.toString();
  }
}
