package clearip.proxy.sip.uri;

import java.util.Locale;

/** A URI as SIP carries it: a SIP/SIPS URI, a tel URI, or any other absolute URI kept opaque. */
public sealed interface Uri permits SipUri, TelUri, AbsoluteUri {

  /** The scheme in lower case, e.g. {@code sip}. */
  String scheme();

  /** Parses any absolute URI; throws IllegalArgumentException when it has no scheme or a malformed SIP/tel form. */
  static Uri parse(String text) {
    int colon = text.indexOf(':');
    if (colon <= 0) throw new IllegalArgumentException("URI without scheme: " + text);
    String scheme = text.substring(0, colon).toLowerCase(Locale.ROOT);
    switch (scheme) {
      case "sip":
      case "sips":
        {
          SipUri u = SipUri.parse(text);
          if (u == null) throw new IllegalArgumentException("malformed SIP URI: " + text);
          return u;
        }
      case "tel":
        {
          TelUri u = TelUri.parse(text);
          if (u == null) throw new IllegalArgumentException("malformed tel URI: " + text);
          return u;
        }
      default:
        return new AbsoluteUri(scheme, text);
    }
  }
}
