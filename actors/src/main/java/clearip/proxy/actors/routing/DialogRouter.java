package clearip.proxy.actors.routing;

import clearip.proxy.actors.call.Destinations;
import clearip.proxy.actors.call.txn.Destination;
import clearip.proxy.actors.call.txn.DialogTokens;
import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.header.NameAddr;
import clearip.proxy.sip.header.Via;
import clearip.proxy.sip.message.MessageEditor;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.uri.SipUri;
import clearip.proxy.streams.transport.Transport;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inline mode with Record-Route: forwards in-dialog requests (ACK for 2xx, BYE, re-INVITE,
 * UPDATE ...) that name this proxy in their top Route, and their responses, statelessly (RFC 3261
 * 16.11): pop our Route, push our Via, send to the next Route or the Request-URI, converting
 * transports as the next hop's URI says.
 */
final class DialogRouter {
  private static final Logger log = LoggerFactory.getLogger(DialogRouter.class);

  private static final Transport[] TRANSPORTS = Transport.values();

  private final Destinations destinations;
  private final String branchPrefix;
  private final DialogTokens tokens;

  DialogRouter(Destinations destinations, String branchPrefix, DialogTokens tokens) {
    this.destinations = destinations;
    this.branchPrefix = "z9hG4bK" + branchPrefix + "s";
    this.tokens = tokens;
  }

  /**
   * True when a request routed to us belongs to a dialog this proxy screened: its top Route (our
   * Record-Route, echoed) carries the token of its Call-ID and one of its tags.
   */
  boolean screened(SipRequest r) {
    List<NameAddr> routes = r.routes();
    if (routes.isEmpty()) return false;
    SipUri top = SipUri.parse(routes.get(0).uri());
    return top != null && tokens.valid(top.params().get(DialogTokens.PARAM), r.callId(),
        r.fromTag(), r.toTag());
  }

  /** True when the top Route names this proxy (as written by our Record-Route). */
  boolean routedToUs(SipRequest r) {
    // read in place: every in-dialog request asks, and most are ours
    long span = r.topRouteUriSpan();
    if (span < 0) return false;
    byte[] b = r.buffer();
    int[] host = new int[2];
    int port = SipUri.hostAndPort(b, (int) (span >>> 32), (int) span, host);
    if (port < 0) return false;
    for (Transport t : TRANSPORTS) {
      if (isHostPort(destinations.localSentBy(t), b, host[0], host[1], port)) return true;
    }
    return false;
  }

  /**
   * {@code sentBy.equalsIgnoreCase(host + ":" + port)} without building the string; the host is
   * ASCII (an IPv6 reference keeps its brackets).
   */
  private static boolean isHostPort(String sentBy, byte[] b, int hostStart, int hostEnd,
      int port) {
    int hostLength = hostEnd - hostStart;
    int digits = port < 10 ? 1 : port < 100 ? 2 : port < 1000 ? 3 : port < 10_000 ? 4 : 5;
    if (sentBy == null || sentBy.length() != hostLength + 1 + digits) return false;
    for (int k = 0; k < hostLength; k++) {
      if (!sameIgnoringCase((char) b[hostStart + k], sentBy.charAt(k))) return false;
    }
    if (sentBy.charAt(hostLength) != ':') return false;
    for (int k = sentBy.length() - 1; k > hostLength; k--) {
      if (sentBy.charAt(k) != '0' + port % 10) return false;
      port /= 10;
    }
    return true;
  }

  /** The per-character rule of {@link String#equalsIgnoreCase}. */
  private static boolean sameIgnoringCase(char a, char b) {
    if (a == b) return true;
    char ua = Character.toUpperCase(a);
    char ub = Character.toUpperCase(b);
    return ua == ub || Character.toLowerCase(ua) == Character.toLowerCase(ub);
  }

  /** Forwards an in-dialog request routed to us; false when it cannot be routed. */
  boolean forwardRequest(SipRequest r) {
    List<NameAddr> routes = r.routes();
    if (routes.isEmpty() || r.maxForwards() == 0) return false;
    MessageEditor e = r.edit();
    // pop our Route: all Route fields go, the remaining values come back as one field
    e.removeHeaders(HeaderName.ROUTE);
    String nextHopUri;
    if (routes.size() > 1) {
      nextHopUri = routes.get(1).uri();
      // re-add the remaining routes in order, as one field
      StringBuilder sb = new StringBuilder();
      for (int i = 1; i < routes.size(); i++) {
        if (i > 1) sb.append(", ");
        sb.append('<').append(routes.get(i).uri()).append('>').append(routes.get(i).params());
      }
      e.addHeader("Route", sb.toString());
    } else {
      nextHopUri = r.requestUri();
    }
    SipUri next = SipUri.parse(nextHopUri);
    Destination d = next == null ? null : Destination.of(next);
    if (d == null) return false;
    // stateless: the same request always gets the same branch (RFC 3261 16.11)
    String branch = branchPrefix + Integer.toHexString((r.topViaBranch() + "|" + r.callId() + "|"
        + r.cseqNumber() + "|" + r.cseqMethod()).hashCode() & 0x7fffffff);
    e.pushVia("SIP/2.0/" + d.transport().viaToken() + " " + destinations.localSentBy(
        d.transport()) + ";branch=" + branch + ";rport").decrementMaxForwards();
    if (d.transport().isStream()) e.ensureContentLength();
    byte[] bytes = e.toBytes();
    destinations.send(d, bytes, result -> log.debug("in-dialog {} to {}: {}", r.method(), d,
        result));
    return true;
  }

  /** True when a response carries our stateless branch on top. */
  boolean isOurs(SipResponse r) {
    String b = r.topViaBranch();
    return b != null && b.startsWith(branchPrefix);
  }

  /** Pops our Via and sends the response to the next Via (received/rport, RFC 3581). */
  void forwardResponse(SipResponse r) {
    List<Via> vias = r.vias();
    if (vias.size() < 2) return;
    Via next = vias.get(1);
    Transport t = Transport.parse(next.transport());
    if (t == null) return;
    String host = next.received() != null ? next.received() : next.hostAddress();
    int port = next.rport() > 0 ? next.rport() : next.portOrDefault();
    byte[] bytes = r.edit().popVia().toBytes();
    Destination d = new Destination(t, host.startsWith("[") ? host.substring(1, host.length() - 1)
        : host, port, host);
    destinations.send(d, bytes, result -> log.debug("in-dialog response to {}: {}", d, result));
  }
}
