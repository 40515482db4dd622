package clearip.proxy.sip.uri;

import clearip.proxy.sip.codec.internal.HeaderScanner;
import clearip.proxy.sip.header.Parameters;
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
    int colon = clearip.proxy.sip.codec.internal.SipChars.indexOf(b, (byte) ':', from, to);
    if (colon < 0) return null;
    String scheme = new String(b, from, colon - from, StandardCharsets.US_ASCII)
        .toLowerCase(Locale.ROOT);
    if (!scheme.equals("sip") && !scheme.equals("sips")) return null;
    int i = colon + 1;
    int at = clearip.proxy.sip.codec.internal.SipChars.indexOf(b, (byte) '@', i, to);
    String user = null;
    String password = null;
    if (at >= 0) {
      // the password, if any, follows the first ':' of the userinfo
      int pw = clearip.proxy.sip.codec.internal.SipChars.indexOf(b, (byte) ':', i, at);
      if (pw >= 0) {
        user = str(b, i, pw);
        password = str(b, pw + 1, at);
      } else {
        user = str(b, i, at);
      }
      if (user.isEmpty()) return null;
      for (int k = i; k < at; k++) {
        if (b[k] <= ' ' || b[k] == '<' || b[k] == '>' || b[k] == '"') return null;
      }
      i = at + 1;
    }
    int[] hp = new int[3];
    int j = HeaderScanner.scanHostPort(b, i, to, hp, 0, 2);
    if (j < 0) return null;
    // scanHostPort skips white space before ':' (header grammar); a URI has none
    for (int k = i; k < j; k++) {
      if (b[k] <= ' ') return null;
    }
    String host = str(b, hp[0], hp[1]);
    int port = hp[2];
    int q = clearip.proxy.sip.codec.internal.SipChars.indexOf(b, (byte) '?', j, to);
    int paramsEnd = q < 0 ? to : q;
    Parameters params = Parameters.EMPTY;
    if (j < paramsEnd) {
      if (b[j] != ';') return null;
      for (int k = j; k < paramsEnd; k++) {
        byte c = b[k];
        if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == ',') return null;
      }
      params = parseUriParams(b, j, paramsEnd);
      if (params == null) return null;
    }
    String headers = q < 0 ? null : str(b, q + 1, to);
    return new SipUri(scheme, user, password, host, port, params, headers);
  }

  // URI parameters allow more characters than header parameters ('/', '&', '$', ...)
  private static Parameters parseUriParams(byte[] b, int from, int to) {
    java.util.List<Parameters.Param> out = new java.util.ArrayList<>(4);
    int i = from;
    while (i < to) {
      if (b[i] != ';') return null;
      int s = i + 1;
      int e = s;
      while (e < to && b[e] != ';') e++;
      if (e == s) return null; // empty parameter
      int eq = clearip.proxy.sip.codec.internal.SipChars.indexOf(b, (byte) '=', s, e);
      if (eq == s) return null;
      out.add(eq < 0
          ? new Parameters.Param(str(b, s, e), null)
          : new Parameters.Param(str(b, s, eq), str(b, eq + 1, e)));
      i = e;
    }
    return Parameters.of(out);
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
