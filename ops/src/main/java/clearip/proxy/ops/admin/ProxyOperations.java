package clearip.proxy.ops.admin;

import clearip.proxy.actors.call.txn.CallSettings;
import clearip.proxy.actors.upstream.UpstreamConnection;
import clearip.proxy.ops.config.ConfigChanges;
import clearip.proxy.ops.config.ConfigProblemException;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.jmx.ProxyControl;
import clearip.proxy.streams.tls.TlsMaterialException;
import clearip.proxy.streams.transport.AccessList;
import clearip.proxy.streams.transport.Durations;
import clearip.proxy.streams.transport.Transport;
import clearip.proxy.streams.upstream.UpstreamSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.apache.pekko.Done;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an operator does to a running proxy, whatever the channel (JMX, signals, admin HTTP):
 * drain and stop, switch the ClearIP target, reload the configuration file, and the readiness
 * verdict. Thread-safe; nothing here runs on a call's path. It acts on a {@link ManagedProxy};
 * JMX sees it as a {@link ProxyControl}, the admin HTTP endpoint as its {@link Readiness}.
 */
public final class ProxyOperations implements ProxyControl, Readiness {
  private static final Logger log = LoggerFactory.getLogger(ProxyOperations.class);
  private static final Duration STATUS_TTL = Duration.ofSeconds(1);
  private static final Duration STATUS_ASK_TIMEOUT = Duration.ofMillis(500);

  private final ManagedProxy proxy;
  private final Path configFile;
  private final ProxyConfig started;
  private volatile ProxyConfig running;
  private volatile String upstreamUri;
  private volatile boolean stopping;
  private volatile CachedStatus status;
  private volatile SharedSettings shared = SharedSettings.LOCAL;
  /** The allow-list in force, as the operator wrote it (the file's, or the last change's). */
  private volatile List<String> accessAllow;
  private final CompletableFuture<Done> stopped = new CompletableFuture<>();

  private record CachedStatus(UpstreamConnection.Status status, long atNanos) {}

  /**
   * @param configFile the file the proxy was started with; null when it runs on the defaults
   *     (a reload then re-reads the defaults and system properties)
   */
  public ProxyOperations(ManagedProxy proxy, Path configFile) {
    this.proxy = Objects.requireNonNull(proxy);
    this.configFile = configFile;
    this.started = proxy.config();
    this.running = started;
    this.upstreamUri = started.upstream().uri();
    this.accessAllow = List.copyOf(started.raw().getStringList(ProxyConfig.ROOT + ".access.allow"));
  }

  /**
   * From now on the changes an operator makes to the settings a fleet shares go to {@code
   * fleet} once they are in force here, and readiness asks it too.
   */
  public void share(SharedSettings fleet) {
    shared = Objects.requireNonNull(fleet);
  }

  /** The configuration in force (the last one loaded successfully). */
  public ProxyConfig running() {
    return running;
  }

  @Override
  public String mode() {
    return running.mode().toString();
  }

  @Override
  public int callsInFlight() {
    return proxy.callsInFlight();
  }

  @Override
  public int callsAwaitingAnswer() {
    return proxy.callsAwaitingAnswer();
  }

  @Override
  public String upstreamUri() {
    return upstreamUri;
  }

  // ---- drain and stop ----

  /** New INVITEs get 503 at once from now on; calls in flight go on. */
  @Override
  public String drain() {
    if (!proxy.isDraining()) {
      proxy.drain();
      log.info("Draining: new INVITEs are answered 503; {} call(s) waiting for an answer",
          proxy.callsAwaitingAnswer());
    }
    return "draining; " + proxy.callsAwaitingAnswer() + " call(s) waiting for an answer";
  }

  @Override
  public boolean isDraining() {
    return proxy.isDraining();
  }

  /** After the drain deadline, how long the calls' last words (503, CANCEL) may take to leave. */
  static final Duration STOP_GRACE = Duration.ofSeconds(2);

  /**
   * Drains, waits until every call in flight has its final answer or {@code timeout} passes,
   * then stops the listeners and the actor system. Calls that only wait for the switch's ACK
   * do not hold the drain up: they get two T1 (one retransmission of a final over UDP and its
   * ACK), then end with the proxy. Idempotent: later calls get the same completion.
   */
  public synchronized CompletionStage<Done> drainAndStop(Duration timeout) {
    if (stopping) return stopped;
    stopping = true;
    drain();
    Thread t = new Thread(() -> {
      try {
        if (await(proxy::callsAwaitingAnswer, timeout)) {
          Duration ackGrace = proxy.callSettings().t1().multipliedBy(2);
          if (await(proxy::callsInFlight, ackGrace)) {
            log.info("All calls finished; stopping");
          } else {
            log.info("All calls answered; stopping ({} call(s) without the switch's ACK after "
                + "{})", proxy.callsInFlight(), Durations.text(ackGrace));
          }
        } else {
          log.warn("Drain deadline ({}) passed with {} call(s) waiting for an answer: each "
              + "gets 503 and its ringing destination a CANCEL; stopping", Durations.text(timeout),
              proxy.callsAwaitingAnswer());
          proxy.stopAllCalls("proxy stopping");
          // the 503s and CANCELs leave before the transports close
          if (!await(proxy::callsInFlight, STOP_GRACE)) {
            log.warn("{} call(s) still in flight after {}", proxy.callsInFlight(),
                Durations.text(STOP_GRACE));
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      proxy.stop().whenComplete((d, e) -> stopped.complete(Done.getInstance()));
    }, "clearip-proxy-drain");
    t.setDaemon(true);
    t.start();
    return stopped;
  }

  /** Polls {@code calls} until it is 0; false when the timeout passed first. */
  static boolean await(IntSupplier calls, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (calls.getAsInt() > 0) {
      if (System.nanoTime() - deadline >= 0) return false;
      TimeUnit.MILLISECONDS.sleep(20); // a counter other threads change: nothing to wait on
    }
    return true;
  }

  public boolean isStopping() {
    return stopping;
  }

  /** Null when ready to take calls; otherwise why not. */
  @Override
  public String notReadyReason() {
    if (stopping) return "stopping";
    if (proxy.isDraining()) return "draining";
    if (proxy.isWarmingUp()) return "warming up";
    if (!proxy.isUpstreamConnected()) return "ClearIP not connected";
    return shared.notReadyReason();
  }

  // ---- upstream ----

  /** Switches to {@code tls} or {@code tcp}, keeping host and (non-default) port. */
  @Override
  public String setUpstreamTransport(String transport) {
    Transport t = Transport.parse(transport == null ? null : transport.trim());
    if (t != Transport.TLS && t != Transport.TCP) {
      throw new IllegalArgumentException("transport must be tls or tcp, was '" + transport + "'");
    }
    return setUpstreamUri(withTransport(upstreamUri, t));
  }

  /** Switches to another ClearIP URI; the old connection finishes its calls. */
  @Override
  public synchronized String setUpstreamUri(String uri) {
    String result = retarget(uri, "an operator");
    shared.publish(SharedSettings.UPSTREAM_URI, upstreamUri);
    return result;
  }

  private synchronized String retarget(String uri, String by) {
    String u = uri == null ? "" : uri.trim();
    UpstreamSettings.fromUri(u); // IllegalArgumentException names the problem
    if (u.equals(upstreamUri)) return "ClearIP upstream already " + u;
    String old = upstreamUri;
    upstreamUri = u;
    status = null;
    proxy.retargetUpstream(u);
    log.info("ClearIP upstream switched from {} to {} by {}", old, u, by);
    return "ClearIP upstream now " + u + " (was " + old + ")";
  }

  // ---- the allow-list and the emergency numbers ----

  /** The allow-list in force, comma-separated CIDRs (empty: loopback only). */
  @Override
  public String accessAllow() {
    return String.join(",", accessAllow);
  }

  /** The emergency numbers in force, comma-separated. */
  @Override
  public String emergencyNumbers() {
    return String.join(",", new java.util.TreeSet<>(proxy.callSettings().emergencyNumbers()));
  }

  /** Replaces the allow-list with {@code cidrs} (comma-separated; every entry checked). */
  @Override
  public synchronized String setAccessAllow(String cidrs) {
    String result = applyAccessAllow(splitList(cidrs), "an operator");
    shared.publish(SharedSettings.ACCESS_ALLOW, accessAllow());
    return result;
  }

  private synchronized String applyAccessAllow(List<String> cidrs, String by) {
    List<String> bad = new ArrayList<>();
    for (String c : cidrs) {
      try {
        AccessList.parseBlock(c);
      } catch (IllegalArgumentException e) {
        bad.add("\"" + c + "\": " + e.getMessage());
      }
    }
    if (!bad.isEmpty()) throw new IllegalArgumentException(String.join("; ", bad));
    proxy.setAccessList(AccessList.parse(cidrs));
    accessAllow = List.copyOf(cidrs);
    log.info("Allow-list now [{}] (set by {})", accessAllow(), by);
    return "allow-list now " + (cidrs.isEmpty() ? "loopback only" : accessAllow());
  }

  /** Replaces the emergency numbers with {@code numbers} (comma-separated). */
  @Override
  public synchronized String setEmergencyNumbers(String numbers) {
    String result = applyEmergencyNumbers(splitList(numbers), "an operator");
    shared.publish(SharedSettings.EMERGENCY_NUMBERS, emergencyNumbers());
    return result;
  }

  private synchronized String applyEmergencyNumbers(List<String> numbers, String by) {
    Set<String> digits = new LinkedHashSet<>();
    for (String n : numbers) {
      String d = n.replaceAll("[-.() ]", "");
      if (d.isEmpty() || !d.matches("\\+?[0-9*#]+")) {
        throw new IllegalArgumentException("'" + n + "' is not a phone number");
      }
      digits.add(d);
    }
    proxy.updateCallSettings(proxy.callSettings().withEmergencyNumbers(Set.copyOf(digits)));
    log.info("Emergency numbers now [{}] (set by {})", emergencyNumbers(), by);
    return "emergency numbers now " + emergencyNumbers();
  }

  static List<String> splitList(String s) {
    List<String> out = new ArrayList<>();
    if (s == null) return out;
    for (String p : s.split(",")) {
      if (!p.isBlank()) out.add(p.trim());
    }
    return out;
  }

  /**
   * Applies a setting changed on another node of the fleet ({@link SharedSettings} keys other
   * than trace); not published again.
   */
  public String applyShared(String key, String value, String origin) {
    String by = "the fleet (changed on " + origin + ")";
    return switch (key) {
      case SharedSettings.ACCESS_ALLOW -> applyAccessAllow(splitList(value), by);
      case SharedSettings.EMERGENCY_NUMBERS -> applyEmergencyNumbers(splitList(value), by);
      case SharedSettings.UPSTREAM_URI -> retarget(value, by);
      default -> throw new IllegalArgumentException("not a shared setting: " + key);
    };
  }

  /**
   * {@code uri} with its transport parameter set to {@code t}; an explicit port that was the old
   * transport's default becomes the new one's (5061 for TLS, 5060 for TCP); sips: becomes sip:
   * for TCP.
   */
  static String withTransport(String uri, Transport t) {
    UpstreamSettings old = UpstreamSettings.fromUri(uri);
    int colon = uri.indexOf(':');
    String scheme = uri.substring(0, colon).toLowerCase(Locale.ROOT);
    String rest = uri.substring(colon + 1);
    int end = rest.length();
    int bracket = rest.indexOf(']');
    for (int i = Math.max(0, bracket); i < rest.length(); i++) {
      if (rest.charAt(i) == ';' || rest.charAt(i) == '?') {
        end = i;
        break;
      }
    }
    String hostPort = rest.substring(0, end);
    String tail = rest.substring(end);
    String headers = "";
    int q = tail.indexOf('?');
    if (q >= 0) {
      headers = tail.substring(q);
      tail = tail.substring(0, q);
    }
    int portColon = hostPort.lastIndexOf(':');
    if (portColon > hostPort.lastIndexOf(']')) {
      String port = hostPort.substring(portColon + 1);
      if (port.equals(Integer.toString(old.transport().defaultPort()))) {
        hostPort = hostPort.substring(0, portColon + 1) + t.defaultPort();
      }
    }
    StringBuilder params = new StringBuilder();
    for (String p : tail.split(";")) {
      if (p.isEmpty() || p.toLowerCase(Locale.ROOT).startsWith("transport=")) continue;
      params.append(';').append(p);
    }
    params.append(";transport=").append(t.name().toLowerCase(Locale.ROOT));
    if (t == Transport.TCP && scheme.equals("sips")) scheme = "sip";
    return scheme + ":" + hostPort + params + headers;
  }

  /** The upstream actor's status, asked at most about once a second, never for long. */
  @Override
  public UpstreamConnection.Status upstreamStatus() {
    CachedStatus c = status;
    long now = System.nanoTime();
    if (c != null && now - c.atNanos() < STATUS_TTL.toNanos()) return c.status();
    try {
      UpstreamConnection.Status s = proxy.upstreamStatus(STATUS_ASK_TIMEOUT)
          .toCompletableFuture().get(STATUS_ASK_TIMEOUT.toMillis() + 100, TimeUnit.MILLISECONDS);
      status = new CachedStatus(s, now);
      return s;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // the actor is restarting or the system stopping: report what we knew
    }
    if (c != null) return c.status();
    return new UpstreamConnection.Status(upstreamUri, "UNKNOWN", "", 0, 0,
        "no status from the upstream connection", proxy.upstreamQueueDepth(), 0, -1, 0);
  }

  // ---- reload ----

  /**
   * Re-reads the configuration file and the TLS certificate and key files, and applies what can
   * change at run time: the source allow-list, emergency numbers, call timers and limits, inline
   * settings, upstream.timeout and upstream.uri (when it changed in the file), certificates for
   * connections opened from now on. Any problem rejects the new file whole; the running
   * configuration is kept. Says which keys were applied and which need a restart.
   */
  @Override
  public synchronized String reloadConfiguration() {
    String source = configFile == null ? "the defaults" : configFile.toString();
    ProxyConfig next;
    String tls;
    try {
      next = configFile == null ? ProxyConfig.defaults() : ProxyConfig.load(configFile);
      tls = proxy.replaceTls(next);
    } catch (ConfigProblemException e) {
      return rejected(source, String.join("; ", e.problems()));
    } catch (TlsMaterialException | RuntimeException e) {
      return rejected(source, e.getMessage());
    }
    ProxyConfig previous = running;
    ConfigChanges changes = ConfigChanges.between(started.raw(), previous.raw(), next.raw(),
        !started.listeners().tls().isEmpty());
    CallSettings calls = next.calls();
    CallSettings current = proxy.callSettings();
    if (next.mode() != started.mode()) calls = calls.withInline(current.inline());
    // The allow-list, emergency numbers and upstream URI are the file's only when the file
    // changed them; otherwise the values in force stay (set over JMX, or by the fleet), so a
    // reload of an unchanged file undoes no operator's change. A change is shared with the fleet.
    String allowKey = ProxyConfig.ROOT + ".access.allow";
    boolean allowChanged = changes.applied().contains(allowKey);
    boolean emergencyChanged = !calls.emergencyNumbers()
        .equals(previous.calls().emergencyNumbers());
    if (!emergencyChanged) calls = calls.withEmergencyNumbers(current.emergencyNumbers());
    if (allowChanged) {
      proxy.setAccessList(next.access());
      accessAllow = List.copyOf(next.raw().getStringList(allowKey));
      shared.publish(SharedSettings.ACCESS_ALLOW, accessAllow());
    }
    proxy.updateCallSettings(calls);
    if (emergencyChanged) shared.publish(SharedSettings.EMERGENCY_NUMBERS, emergencyNumbers());
    if (!next.upstream().uri().equals(previous.upstream().uri())) {
      setUpstreamUri(next.upstream().uri());
    }
    running = next;
    String result = "reloaded from " + source + ": " + changes + "; " + tls;
    log.info("Configuration {}", result);
    return result;
  }

  private static String rejected(String source, String problems) {
    log.error("Configuration reload from {} rejected, the running configuration is kept: {}",
        source, problems);
    return "rejected, running configuration kept: " + problems;
  }
}
