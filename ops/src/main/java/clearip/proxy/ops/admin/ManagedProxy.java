package clearip.proxy.ops.admin;

import clearip.proxy.actors.call.txn.CallSettings;
import clearip.proxy.actors.upstream.UpstreamConnection;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.streams.tls.TlsMaterialException;
import clearip.proxy.streams.transport.AccessList;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * What the operator's actions ({@link ProxyOperations}) reach in a running proxy: its calls, its
 * connection to ClearIP, the settings a reload replaces, and its stop. The server implements it;
 * declared here so that operations need not know how a proxy is put together.
 */
public interface ManagedProxy {

  /** The configuration the proxy was started with. */
  ProxyConfig config();

  // ---- calls ----

  /** Calls whose INVITE transaction is open. */
  int callsInFlight();

  /** Calls in flight whose switch has no final yet (the others wait only for its ACK). */
  int callsAwaitingAnswer();

  boolean isDraining();

  /** True while a fresh proxy warms up: it answers new INVITEs and OPTIONS 503 until then. */
  default boolean isWarmingUp() {
    return false;
  }

  /** From now on new INVITEs are answered 503 at once; calls in flight go on. */
  void drain();

  /** Ends every call in flight: 503 to its switch, CANCEL to a ringing destination. */
  void stopAllCalls(String reason);

  // ---- ClearIP ----

  boolean isUpstreamConnected();

  /** Requests waiting to be written to ClearIP. */
  int upstreamQueueDepth();

  /** Opens a connection to {@code uri}; the old one finishes its calls. */
  void retargetUpstream(String uri);

  /** Asks the upstream connection for its status; fails after {@code timeout}. */
  CompletionStage<UpstreamConnection.Status> upstreamStatus(Duration timeout);

  // ---- what a reload replaces ----

  CallSettings callSettings();

  /** New calls use {@code settings}; calls in flight keep theirs. */
  void updateCallSettings(CallSettings settings);

  void setAccessList(AccessList access);

  /**
   * Builds TLS engines from {@code next}'s certificate, key and CA files (read again even where
   * the paths are the same) and uses them for every connection opened from now on; established
   * connections keep theirs. Says what was re-read.
   *
   * @throws TlsMaterialException a file is missing or unusable; nothing was replaced
   */
  String replaceTls(ProxyConfig next) throws TlsMaterialException;

  /** Stops listening, then everything else; completes when all is down. */
  CompletionStage<Done> stop();
}
