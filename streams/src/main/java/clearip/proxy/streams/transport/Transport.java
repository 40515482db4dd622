package clearip.proxy.streams.transport;

import java.util.Locale;

/** The SIP transports this proxy speaks. */
public enum Transport {
  UDP,
  TCP,
  TLS;

  /** True for connection-oriented transports, where Content-Length frames messages. */
  public boolean isStream() {
    return this != UDP;
  }

  /** The token used in Via sent-protocol, e.g. {@code TLS}. */
  public String viaToken() {
    return name();
  }

  /** The default port: 5061 for TLS, 5060 otherwise. */
  public int defaultPort() {
    return this == TLS ? 5061 : 5060;
  }

  /** Parses a URI transport parameter or Via token, case-insensitively; null when unknown. */
  public static Transport parse(String s) {
    if (s == null) return null;
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "udp" -> UDP;
      case "tcp" -> TCP;
      case "tls" -> TLS;
      default -> null;
    };
  }
}
