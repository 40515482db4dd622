package clearip.proxy.emulator;

import clearip.proxy.sip.header.NameAddr;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.transport.InboundHandler;
import clearip.proxy.streams.transport.Origin;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.pekko.actor.Cancellable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers requests the way ClearIP does, by the configured rules. Stateless per INVITE except for
 * INVITEs whose answer is delayed or withheld, remembered (bounded, with expiry) so that a CANCEL
 * finds them. Thread-safe and non-blocking: called directly on the transports' threads.
 */
public final class EmulatorHandler implements InboundHandler {
  private static final Logger log = LoggerFactory.getLogger(EmulatorHandler.class);

  private final EmulatorSettings settings;
  private final PassportSigner signer;
  private final Delayer delayer;
  private final Map<Rule.Action, Answers.Fixed> fixed = new IdentityHashMap<>();
  private final Answers.Fixed outside;
  private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLongArray answered = new AtomicLongArray(700);

  /**
   * @param signer signs Identity headers; may be null when no rule asks for one
   * @param delayer schedules delayed answers and the expiry of remembered INVITEs
   */
  public EmulatorHandler(EmulatorSettings settings, PassportSigner signer, Delayer delayer) {
    this.settings = settings;
    this.signer = signer;
    this.delayer = delayer;
    for (Rule r : settings.rules()) prepare(r.action());
    prepare(settings.defaultRule().action());
    prepare(settings.outsideAllowAction());
    this.outside = fixed.get(settings.outsideAllowAction());
    if (signer == null && needsSigner(settings)) {
      throw new IllegalArgumentException("a rule asks for an Identity header but no signer given");
    }
  }

  /** True when some rule adds a signed Identity header. */
  public static boolean needsSigner(EmulatorSettings settings) {
    for (Rule r : settings.rules()) {
      if (r.action() instanceof Rule.Action.Redirect red && red.identity()) return true;
    }
    return false;
  }

  private void prepare(Rule.Action a) {
    if (fixed.containsKey(a)) return;
    Answers.Fixed f;
    if (a instanceof Rule.Action.Redirect r) {
      f = Answers.Fixed.withPhrase(302, "Moved Temporarily", "Reason: " + r.reason());
    } else if (a instanceof Rule.Action.NoAction n) {
      f = Answers.Fixed.of(n.status());
    } else if (a instanceof Rule.Action.Block b) {
      f = Answers.Fixed.of(603, "Reason: " + b.reason());
    } else {
      f = Answers.FORBIDDEN;
    }
    fixed.put(a, f);
  }

  // ---- InboundHandler ----------------------------------------------------------------------

  @Override
  public void onRequest(SipRequest request, Origin origin) {
    if (request.isAck()) return; // absorbed: ACKs for our non-2xx finals
    if (!allowed(origin.remote())) {
      reply(origin, request, outside, null);
      return;
    }
    if (request.isInvite()) {
      onInvite(request, origin);
    } else if (request.isCancel()) {
      onCancel(request, origin);
    } else if (request.methodIs("OPTIONS")) {
      reply(origin, request, Answers.OK_OPTIONS, null);
    } else {
      reply(origin, request, Answers.NOT_ALLOWED, null);
    }
  }

  @Override
  public void onResponse(SipResponse response, Origin origin) {
    // a redirect server sends no requests, so no response is expected; ignore strays
  }

  private boolean allowed(InetSocketAddress remote) {
    List<Cidr> allow = settings.allow();
    if (allow.isEmpty()) return true;
    InetAddress a = remote == null ? null : remote.getAddress();
    if (a == null) return false;
    for (int i = 0, n = allow.size(); i < n; i++) {
      if (allow.get(i).contains(a)) return true;
    }
    return false;
  }

  // ---- INVITE --------------------------------------------------------------------------------

  private void onInvite(SipRequest req, Origin origin) {
    CallInfo call = callInfo(req, origin);
    Rule rule = match(call);
    if (log.isDebugEnabled()) {
      log.debug("INVITE {} from {} ({} -> {}) matches rule {}", req.callId(), origin.remote(),
          call.callerUser(), call.calledUser(), rule.name());
    }
    if (rule.noAnswer()) {
      remember(req, origin, call, rule, settings.pendingExpiry(), false);
    } else if (!rule.delay().isZero()) {
      if (!remember(req, origin, call, rule, rule.delay(), true)) answer(req, origin, call, rule);
    } else {
      answer(req, origin, call, rule);
    }
  }

  /** The first rule that matches the call, or the default rule. */
  Rule match(CallInfo call) {
    List<Rule> rules = settings.rules();
    for (int i = 0, n = rules.size(); i < n; i++) {
      Rule r = rules.get(i);
      if (r.matches(call)) return r;
    }
    return settings.defaultRule();
  }

  static CallInfo callInfo(SipRequest req, Origin origin) {
    String called = Answers.userPart(req.requestUri());
    if (called.isEmpty()) {
      NameAddr to = req.to();
      called = to == null ? "" : Answers.userPart(to.uri());
    }
    NameAddr from = req.from();
    String caller = from == null ? "" : Answers.userPart(from.uri());
    InetSocketAddress remote = origin.remote();
    return CallInfo.of(called, caller, remote == null ? null : remote.getAddress());
  }

  private void answer(SipRequest req, Origin origin, CallInfo call, Rule rule) {
    if (rule.dropConnection()) {
      dropConnection(origin);
      return;
    }
    Rule.Action a = rule.action();
    CharSequence dynamic = a instanceof Rule.Action.Redirect r ? redirectHeaders(r, call) : null;
    reply(origin, req, fixed.get(a), dynamic);
  }

  /** Contact (one header, q 0.99 down by 0.01), then Identity and P-Asserted-Identity. */
  private CharSequence redirectHeaders(Rule.Action.Redirect r, CallInfo call) {
    StringBuilder sb = new StringBuilder(r.identity() ? 1024 : 160);
    sb.append("Contact: ");
    List<Template> dest = r.destinations();
    for (int i = 0, n = dest.size(); i < n; i++) {
      if (i > 0) sb.append(", ");
      sb.append('<');
      dest.get(i).appendTo(sb, call);
      sb.append(">;q=0.").append(99 - i);
    }
    sb.append("\r\n");
    if (r.identity()) {
      sb.append("Identity: ")
          .append(signer.identity(r.attest(), call.callerUser(), call.calledUser()))
          .append("\r\n");
    }
    if (r.pai() != null) {
      sb.append("P-Asserted-Identity: ");
      r.pai().appendTo(sb, call);
      sb.append("\r\n");
    }
    return sb;
  }

  private static void dropConnection(Origin origin) {
    if (log.isDebugEnabled()) log.debug("drop-connection: closing {}", origin);
    origin.close(); // UDP: nothing to close, so no answer at all
  }


  // ---- delayed and withheld answers, CANCEL ---------------------------------------------------

  /** An INVITE waiting for its delayed answer, or for nothing (no-answer) until it expires. */
  private final class Pending implements Runnable {
    final String key;
    final SipRequest invite;
    final Origin origin;
    final CallInfo call;
    final Rule rule;
    final boolean answerWhenDue;
    volatile Cancellable timer;

    Pending(String key, SipRequest invite, Origin origin, CallInfo call, Rule rule,
        boolean answerWhenDue) {
      this.key = key;
      this.invite = invite;
      this.origin = origin;
      this.call = call;
      this.rule = rule;
      this.answerWhenDue = answerWhenDue;
    }

    @Override
    public void run() {
      if (!pending.remove(key, this)) return; // CANCELled meanwhile
      if (answerWhenDue) answer(invite, origin, call, rule);
    }
  }

  /**
   * Remembers an INVITE and schedules its answer (or its expiry).
   *
   * @return false when it could not be remembered (the bound is reached): answer it now
   */
  private boolean remember(SipRequest req, Origin origin, CallInfo call, Rule rule, Duration due,
      boolean answerWhenDue) {
    String key = transactionKey(req);
    if (key == null) return false;
    if (pending.size() >= settings.maxPending()) {
      log.debug("pending INVITEs at the bound of {}; answering {} at once",
          settings.maxPending(), req.callId());
      return false;
    }
    Pending p = new Pending(key, req, origin, call, rule, answerWhenDue);
    if (pending.putIfAbsent(key, p) != null) return true; // a retransmission: already waiting
    p.timer = delayer.after(due, p);
    return true;
  }

  private void onCancel(SipRequest cancel, Origin origin) {
    String key = transactionKey(cancel);
    Pending p = key == null ? null : pending.remove(key);
    if (p == null) {
      reply(origin, cancel, Answers.NO_TRANSACTION, null); // RFC 3261 9.2
      return;
    }
    Cancellable t = p.timer;
    if (t != null) t.cancel();
    reply(origin, cancel, Answers.OK_CANCEL, null);
    reply(p.origin, p.invite, Answers.TERMINATED, null);
  }

  /** Call-ID and top Via branch: the same for an INVITE, its retransmissions and its CANCEL. */
  private static String transactionKey(SipRequest req) {
    String branch = req.topViaBranch();
    String callId = req.callId();
    if (branch == null || callId == null) return null;
    return callId + '\n' + branch;
  }

  /** INVITEs currently remembered (delayed or withheld). */
  public int pendingCount() {
    return pending.size();
  }

  /** How many responses with that status code were sent. */
  public long answered(int status) {
    return status >= 0 && status < 700 ? answered.get(status) : 0;
  }

  private void reply(Origin origin, SipRequest req, Answers.Fixed f, CharSequence dynamic) {
    byte[] bytes = Answers.write(req, f, dynamic);
    answered.incrementAndGet(f.status());
    if (!origin.reply(bytes) && log.isDebugEnabled()) {
      log.debug("could not send {} for {} to {}", f.status(), req.callId(), origin.remote());
    }
  }
}
