package clearip.proxy.actors.call.txn;

import java.time.Duration;
import java.util.Set;

/**
 * How calls are handled: timers, the emergency guard, the proxy's identity in the SIP it writes.
 *
 * @param upstreamTimeout no final from ClearIP within this ⇒ 503 to the switch (fail-open)
 * @param emergencyNumbers called numbers never sent to ClearIP (answered 503 at once)
 * @param t1 RFC 3261 T1 (round-trip estimate, 500 ms), base of Timer G and H
 * @param t2 RFC 3261 T2 (4 s), cap of Timer G
 * @param supportedProxyOptions option tags accepted in Proxy-Require (others ⇒ 420)
 * @param serverName written in Warning headers and logs
 * @param branchPrefix prefix of every Via branch this instance writes, after z9hG4bK; also how it
 *     recognises its own requests coming back (loop ⇒ 482)
 * @param optionsUnavailableWhenDown answer OPTIONS with 503 while ClearIP is unreachable, so
 *     switches that probe with OPTIONS skip this instance
 * @param maxCallsInFlight past this many calls, new INVITEs get 503 at once (overload control)
 * @param maxDispatchDelay while new calls wait longer than this for a thread, new INVITEs get 503
 *     at once (overload control); zero turns it off
 * @param overloadRetryAfter the Retry-After of the proxy's own overload and draining 503s, so
 *     that a switch honouring it (RFC 3261 21.5.4) tries its other routes meanwhile; zero: none
 * @param inline how ClearIP's 302 is followed in inline mode; null in tls-proxy mode
 */
public record CallSettings(Duration upstreamTimeout, Set<String> emergencyNumbers, Duration t1,
    Duration t2, Set<String> supportedProxyOptions, String serverName, String branchPrefix,
    boolean optionsUnavailableWhenDown, int maxCallsInFlight, Duration maxDispatchDelay,
    Duration overloadRetryAfter, InlineSettings inline) {

  /** The default of {@code calls.max-dispatch-delay}. */
  public static final Duration DEFAULT_MAX_DISPATCH_DELAY = Duration.ofMillis(10);

  public CallSettings(Duration upstreamTimeout, Set<String> emergencyNumbers, Duration t1,
      Duration t2, Set<String> supportedProxyOptions, String serverName, String branchPrefix,
      boolean optionsUnavailableWhenDown, int maxCallsInFlight) {
    this(upstreamTimeout, emergencyNumbers, t1, t2, supportedProxyOptions, serverName,
        branchPrefix, optionsUnavailableWhenDown, maxCallsInFlight, DEFAULT_MAX_DISPATCH_DELAY,
        Duration.ofSeconds(1), null);
  }

  public static CallSettings defaults() {
    return new CallSettings(Duration.ofSeconds(2), Set.of("911", "933"), Duration.ofMillis(500),
        Duration.ofSeconds(4), Set.of(), "clearip-proxy", "cip", true, 20_000,
        DEFAULT_MAX_DISPATCH_DELAY, Duration.ofSeconds(1), null);
  }

  /** True in inline mode: ClearIP's 302 is followed here instead of relayed. */
  public boolean inlineMode() {
    return inline != null;
  }

  public CallSettings withInline(InlineSettings i) {
    return new CallSettings(upstreamTimeout, emergencyNumbers, t1, t2, supportedProxyOptions,
        serverName, branchPrefix, optionsUnavailableWhenDown, maxCallsInFlight, maxDispatchDelay,
        overloadRetryAfter, i);
  }

  /** Timer H: how long a final response waits for its ACK (64 × T1). */
  public Duration timerH() {
    return t1.multipliedBy(64);
  }

  public CallSettings withUpstreamTimeout(Duration d) {
    return new CallSettings(d, emergencyNumbers, t1, t2, supportedProxyOptions, serverName,
        branchPrefix, optionsUnavailableWhenDown, maxCallsInFlight, maxDispatchDelay,
        overloadRetryAfter, inline);
  }

  public CallSettings withTimers(Duration newT1, Duration newT2) {
    return new CallSettings(upstreamTimeout, emergencyNumbers, newT1, newT2,
        supportedProxyOptions, serverName, branchPrefix, optionsUnavailableWhenDown,
        maxCallsInFlight, maxDispatchDelay,
        overloadRetryAfter, inline);
  }

  public CallSettings withEmergencyNumbers(Set<String> numbers) {
    return new CallSettings(upstreamTimeout, numbers, t1, t2, supportedProxyOptions, serverName,
        branchPrefix, optionsUnavailableWhenDown, maxCallsInFlight, maxDispatchDelay,
        overloadRetryAfter, inline);
  }

  public CallSettings withMaxCallsInFlight(int n) {
    return new CallSettings(upstreamTimeout, emergencyNumbers, t1, t2, supportedProxyOptions,
        serverName, branchPrefix, optionsUnavailableWhenDown, n, maxDispatchDelay,
        overloadRetryAfter, inline);
  }

  public CallSettings withOverloadRetryAfter(Duration d) {
    return new CallSettings(upstreamTimeout, emergencyNumbers, t1, t2, supportedProxyOptions,
        serverName, branchPrefix, optionsUnavailableWhenDown, maxCallsInFlight, maxDispatchDelay,
        d, inline);
  }

  public CallSettings withMaxDispatchDelay(Duration d) {
    return new CallSettings(upstreamTimeout, emergencyNumbers, t1, t2, supportedProxyOptions,
        serverName, branchPrefix, optionsUnavailableWhenDown, maxCallsInFlight, d,
        overloadRetryAfter, inline);
  }
}
