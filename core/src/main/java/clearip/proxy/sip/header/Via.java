package clearip.proxy.sip.header;

import clearip.proxy.sip.syntax.HeaderScanner;
import clearip.proxy.sip.syntax.Parameters;
import clearip.proxy.sip.syntax.SipChars;

/**
 * One Via value (RFC 3261 section 20.42): sent-protocol, sent-by and parameters.
 *
 * @param transport as written, e.g. {@code UDP}, {@code TLS}
 * @param host sent-by host; an IPv6 reference keeps its brackets
 * @param port sent-by port, or -1 when absent
 */
public record Via(String protocolName, String protocolVersion, String transport, String host,
    int port, Parameters params) {

  /** Parses one Via value, e.g. {@code SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1}. */
  public static Via parse(String value) {
    byte[] b = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Via v = parse(b, 0, b.length);
    if (v == null) throw new IllegalArgumentException("not a Via value: " + value);
    return v;
  }

  /** Parses the first Via value in b[from,to); null when it does not follow the grammar. */
  public static Via parse(byte[] b, int from, int to) {
    int[] s = new int[HeaderScanner.VIA_SPANS];
    if (HeaderScanner.scanVia(b, from, to, s) < 0) return null;
    return new Via(
        SipChars.string(b, s[0], s[1]),
        SipChars.string(b, s[2], s[3]),
        SipChars.string(b, s[4], s[5]),
        SipChars.string(b, s[6], s[7]),
        s[8],
        Parameters.parse(b, s[9], s[10]));
  }

  public String branch() {
    return params.get("branch");
  }

  public String received() {
    return params.get("received");
  }

  public String maddr() {
    return params.get("maddr");
  }

  /** True when the rport parameter is present (RFC 3581), with or without a value. */
  public boolean hasRport() {
    return params.has("rport");
  }

  /** The rport value, or -1 when absent or empty. */
  public int rport() {
    String v = params.get("rport");
    if (v == null) return -1;
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The port responses go to when none is given: 5061 for TLS, else 5060. */
  public int portOrDefault() {
    if (port >= 0) return port;
    return "TLS".equalsIgnoreCase(transport) ? 5061 : 5060;
  }

  /** The host without IPv6 brackets, ready for address resolution. */
  public String hostAddress() {
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }

  @Override
  public String toString() {
    return protocolName + "/" + protocolVersion + "/" + transport + " " + host
        + (port >= 0 ? ":" + port : "") + params;
  }
}
