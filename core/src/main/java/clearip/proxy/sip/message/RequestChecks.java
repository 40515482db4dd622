package clearip.proxy.sip.message;

import clearip.proxy.sip.header.HeaderName;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The request validation of RFC 3261 section 16.3 that needs no state: URI scheme (416),
 * Max-Forwards (483) and Proxy-Require (420); and that of section 8.2.2 for a request the proxy
 * answers itself as its final recipient (OPTIONS). Loop detection (482) needs the proxy's own
 * identity and lives with the caller.
 */
public final class RequestChecks {
  private RequestChecks() {}

  /** The methods RFC 3261 and its extensions define; any other is not implemented (501). */
  private static final Set<String> KNOWN_METHODS = Set.of("ACK", "BYE", "CANCEL", "INFO",
      "INVITE", "MESSAGE", "NOTIFY", "OPTIONS", "PRACK", "PUBLISH", "REFER", "REGISTER",
      "SUBSCRIBE", "UPDATE");

  /** True for a method SIP defines (case-sensitive, as RFC 3261 7.1 says methods are). */
  public static boolean isKnownMethod(String method) {
    return KNOWN_METHODS.contains(method);
  }

  /**
   * Why a request is refused: the status, reason phrase and any header the response must carry
   * (e.g. {@code Unsupported} for 420).
   */
  public record Rejection(int status, String reasonPhrase, String headerName, String headerValue) {}

  /** The first failed check, or null when the request may be proxied. */
  public static Rejection check(SipRequest request, Set<String> supportedProxyOptions) {
    if (!routableScheme(request)) return new Rejection(416, "Unsupported URI Scheme", null, null);
    if (request.maxForwards() == 0) {
      return new Rejection(483, "Too Many Hops", null, null);
    }
    List<String> unsupported = unsupportedOptions(request, supportedProxyOptions);
    if (!unsupported.isEmpty()) {
      return new Rejection(420, "Bad Extension", "Unsupported", String.join(", ", unsupported));
    }
    return null;
  }

  /**
   * The first failed check for a request this element answers as its final recipient (RFC 3261
   * 8.2.2): URI scheme (416) and Require (420). Max-Forwards is not checked: at 0 an OPTIONS may
   * still be answered by the element it reached (16.3 step 3).
   */
  public static Rejection checkAsRecipient(SipRequest request, Set<String> supportedOptions) {
    if (!routableScheme(request)) return new Rejection(416, "Unsupported URI Scheme", null, null);
    List<String> unsupported = unsupported(request, HeaderName.REQUIRE, supportedOptions);
    if (!unsupported.isEmpty()) {
      return new Rejection(420, "Bad Extension", "Unsupported", String.join(", ", unsupported));
    }
    return null;
  }

  /** Option tags of Proxy-Require that are not in the supported set (compared case-insensitively). */
  public static List<String> unsupportedOptions(SipRequest request, Set<String> supported) {
    return unsupported(request, HeaderName.PROXY_REQUIRE, supported);
  }

  private static List<String> unsupported(SipRequest request, HeaderName header,
      Set<String> supported) {
    List<String> out = new ArrayList<>(0);
    for (String field : request.headers(header)) {
      for (String tag : field.split(",")) {
        String t = tag.trim();
        if (!t.isEmpty() && !supported.contains(t.toLowerCase(Locale.ROOT))) out.add(t);
      }
    }
    return out;
  }

  private static boolean routableScheme(SipRequest request) {
    String scheme = scheme(request.requestUri());
    return scheme.equals("sip") || scheme.equals("sips") || scheme.equals("tel");
  }

  private static String scheme(String uri) {
    int c = uri.indexOf(':');
    return c < 0 ? "" : uri.substring(0, c).toLowerCase(Locale.ROOT);
  }
}
