package clearip.proxy.actors.call.txn;

import clearip.proxy.sip.header.NameAddr;
import clearip.proxy.sip.uri.SipUri;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The destinations of a 302 in the order they are tried (RFC 3261 sections 8.1.3.4 and 16.5):
 * q descending, stable for equal q (ClearIP's header order), duplicates and schemes or transports
 * we cannot reach dropped, capped at the configured number of attempts.
 */
public final class ContactPlan {
  private ContactPlan() {}

  /** One destination to try: the Request-URI to use and where to send it. */
  public record Target(String requestUri, Destination destination) {}

  public static List<Target> of(List<NameAddr> contacts, int maxAttempts) {
    List<NameAddr> sorted = new ArrayList<>(contacts);
    sorted.sort(Comparator.comparingDouble(NameAddr::q).reversed()); // List.sort is stable
    List<Target> out = new ArrayList<>(Math.min(sorted.size(), maxAttempts));
    Set<String> seen = new HashSet<>();
    for (NameAddr c : sorted) {
      if (out.size() >= maxAttempts) break;
      SipUri uri = SipUri.parse(c.uri());
      if (uri == null) continue; // tel:, http: ... a proxy cannot route them
      // embedded headers (?Route=...) are not honoured: they could steer the call anywhere
      String requestUri = uri.headers() == null ? c.uri()
          : c.uri().substring(0, c.uri().indexOf('?'));
      Destination d = Destination.of(uri);
      if (d == null) continue;
      if (!seen.add(requestUri.toLowerCase(Locale.ROOT))) continue;
      out.add(new Target(requestUri, d));
    }
    return out;
  }

  /**
   * {@code plan} with the destinations {@code health} penalizes moved to the end, each group in
   * its own order; the same list when none is.
   */
  public static List<Target> penalizedLast(List<Target> plan, DestinationHealth health) {
    if (health == DestinationHealth.LOCAL) return plan;
    List<Target> good = new ArrayList<>(plan.size());
    List<Target> last = new ArrayList<>(2);
    for (Target t : plan) {
      (health.penalized(t.destination()) ? last : good).add(t);
    }
    if (last.isEmpty()) return plan;
    good.addAll(last);
    return good;
  }
}
