package clearip.proxy.sip.message;

import clearip.proxy.sip.header.HeaderName;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The request validation of RFC 3261 section 16.3 that needs no state: URI scheme (416),
 * Max-Forwards (483) and Proxy-Require (420). Loop detection (482) needs the proxy's own
 * identity and lives with the caller.
 */
public final class RequestChecks {
  private RequestChecks() {}

  /**
   * Why a request is refused: the status, reason phrase and any header the response must carry
   * (e.g. {@code Unsupported} for 420).
   */
  public record Rejection(int status, String reasonPhrase, String headerName, String headerValue) {}

  /** The first failed check, or null when the request may be proxied. */
  public static Rejection check(SipRequest request, Set<String> supportedProxyOptions) {
    String scheme = scheme(request.requestUri());
    if (!scheme.equals("sip") && !scheme.equals("sips") && !scheme.equals("tel")) {
      return new Rejection(416, "Unsupported URI Scheme", null, null);
    }
    if (request.maxForwards() == 0) {
      return new Rejection(483, "Too Many Hops", null, null);
    }
    List<String> unsupported = unsupportedOptions(request, supportedProxyOptions);
    if (!unsupported.isEmpty()) {
      return new Rejection(420, "Bad Extension", "Unsupported", String.join(", ", unsupported));
    }
    return null;
  }

  /** Option tags of Proxy-Require that are not in the supported set (compared case-insensitively). */
  public static List<String> unsupportedOptions(SipRequest request, Set<String> supported) {
    List<String> out = new ArrayList<>(0);
    for (String field : request.headers(HeaderName.PROXY_REQUIRE)) {
      for (String tag : field.split(",")) {
        String t = tag.trim();
        if (!t.isEmpty() && !supported.contains(t.toLowerCase(Locale.ROOT))) out.add(t);
      }
    }
    return out;
  }

  private static String scheme(String uri) {
    int c = uri.indexOf(':');
    return c < 0 ? "" : uri.substring(0, c).toLowerCase(Locale.ROOT);
  }
}
