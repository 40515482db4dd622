package clearip.proxy.streams.transport;

import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.codec.SipStreamFramer;
import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.header.Via;
import clearip.proxy.sip.message.ResponseContext;
import clearip.proxy.sip.message.SipMessage;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.message.SipResponses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The common path of every framed message, whatever the transport: decode once, stamp the top
 * Via with where the request really came from, hand it to the {@link InboundHandler}; answer or
 * drop malformed input. Thread-safe; called on stream and IO threads, never blocks.
 */
final class MessageIntake {
  private static final Logger log = LoggerFactory.getLogger(MessageIntake.class);

  private final SipDecoder decoder;
  private final InboundHandler handler;
  private final TransportMetrics metrics;
  private final String serverName;
  private final RateLimitedLog badInput = new RateLimitedLog(log, 10, TimeUnit.SECONDS);
  private final RateLimitedLog handlerFailures = new RateLimitedLog(log, 10, TimeUnit.SECONDS);

  MessageIntake(SipDecoder decoder, InboundHandler handler, TransportMetrics metrics,
      String serverName) {
    this.decoder = decoder;
    this.handler = handler;
    this.metrics = metrics;
    this.serverName = serverName;
  }

  /** One datagram or one stream frame; {@code buf} is owned by the message from now on. */
  void onMessage(byte[] buf, int off, int len, SipDecoder.Framing framing, Origin origin) {
    Decoded d = decoder.decode(buf, off, len, framing);
    if (d instanceof Decoded.Ok ok) {
      SipMessage m = ok.message();
      if (m instanceof SipRequest r) {
        deliver(stampVia(r, origin.remote(), framing), origin);
      } else {
        deliver((SipResponse) m, origin);
      }
    } else {
      onMalformed((Decoded.Malformed) d, origin);
    }
  }

  private void deliver(SipRequest r, Origin origin) {
    metrics.messageIn(origin.transport());
    try {
      handler.onRequest(r, origin);
    } catch (RuntimeException e) {
      handlerFailed(e);
    }
  }

  private void deliver(SipResponse r, Origin origin) {
    metrics.messageIn(origin.transport());
    try {
      handler.onResponse(r, origin);
    } catch (RuntimeException e) {
      handlerFailed(e);
    }
  }

  private void handlerFailed(RuntimeException e) {
    // a bug on our side, not bad input: keep the trace at DEBUG, a summary at WARN
    log.debug("Inbound handler failed", e);
    handlerFailures.warn("Inbound handler threw " + e);
  }

  /**
   * Adds {@code received} (RFC 3261 18.2.1) and fills {@code rport} (RFC 3581) on the top Via,
   * re-encoding only when something changes: most switches send an IP sent-by that matches the
   * packet source and no rport, and those requests pass untouched.
   */
  SipRequest stampVia(SipRequest r, InetSocketAddress source, SipDecoder.Framing framing) {
    Via v = r.topVia();
    if (v == null) return r; // the decoder guarantees one; be defensive anyway
    InetAddress src = source.getAddress();
    int port = source.getPort();
    boolean rport = v.hasRport();
    String received = null;
    // with rport, received is added even when it equals sent-by (RFC 3581 section 4)
    if (rport || !IpLiterals.sameAddress(v.host(), src)) {
      String current = v.received();
      if (current == null || !IpLiterals.sameAddress(current, src)) {
        received = IpLiterals.text(src);
      }
    }
    int rportValue = rport && v.rport() != port ? port : -1;
    if (received == null && rportValue < 0) return r;
    byte[] edited = r.edit().setTopViaReceived(received, rportValue).toBytes();
    Decoded again = decoder.decode(edited, 0, edited.length, framing);
    if (again instanceof Decoded.Ok ok && ok.message() instanceof SipRequest stamped) {
      return stamped;
    }
    log.debug("Via stamping produced an undecodable message from {}; forwarding unstamped",
        source);
    return r;
  }

  void onMalformed(Decoded.Malformed m, Origin origin) {
    metrics.malformed(origin.transport(), m.request());
    if (m.canRespond()) {
      byte[] response = SipResponses.create(m.context(), m.status(), m.reason(), toTag(),
          serverName);
      boolean sent = origin.reply(response);
      if (log.isDebugEnabled()) {
        log.debug("Malformed {} request from {} over {}: {}; {} {}", m.method(), origin.remote(),
            origin.transport(), m.reason(), sent ? "answered" : "could not answer", m.status());
      }
    } else if (log.isDebugEnabled()) {
      log.debug("Malformed {} from {} over {} dropped: {}", m.request() ? "request" : "message",
          origin.remote(), origin.transport(), m.reason());
    }
    badInput.warn("Malformed SIP from " + origin.remote() + " over " + origin.transport() + ": "
        + m.reason(), origin.remote().getAddress());
  }

  /**
   * A stream that cannot be framed: answers the request it was reading when its header section
   * is readable enough for a response (400, or 513 when too large), then the caller closes the
   * connection.
   */
  void onFramingError(SipStreamFramer.Frame.Error e, Origin origin) {
    Decoded.Malformed m = asMalformed(e);
    if (m == null) {
      metrics.malformed(origin.transport(), false);
      log.debug("Unframeable stream from {} over {}: {}", origin.remote(), origin.transport(),
          e.reason());
      badInput.warn("Unframeable SIP stream from " + origin.remote() + " over "
          + origin.transport() + ": " + e.reason() + "; closing the connection",
          origin.remote().getAddress());
      return;
    }
    onMalformed(m, origin);
  }

  private Decoded.Malformed asMalformed(SipStreamFramer.Frame.Error e) {
    byte[] ctx = e.context();
    if (ctx == null || ctx.length == 0) return null;
    int status = e.fault().status();
    Decoded d = decoder.decode(ctx, 0, ctx.length, SipDecoder.Framing.DATAGRAM);
    if (d instanceof Decoded.Malformed dm) {
      return new Decoded.Malformed(dm.status() == 0 ? 0 : status, e.reason(), dm.request(),
          dm.method(), dm.context());
    }
    SipMessage msg = ((Decoded.Ok) d).message();
    if (!(msg instanceof SipRequest r)) {
      return new Decoded.Malformed(0, e.reason(), false, null, ResponseContext.EMPTY);
    }
    ResponseContext rc = new ResponseContext(r.headers(HeaderName.VIA), r.header(HeaderName.FROM),
        r.header(HeaderName.TO), r.callId(), r.header(HeaderName.CSEQ));
    return new Decoded.Malformed(status, e.reason(), true, r.method(), rc);
  }

  private static String toTag() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
  }
}
