package clearip.proxy.ops.admin;

import clearip.proxy.actors.call.txn.CallSettings;
import clearip.proxy.actors.upstream.UpstreamConnection;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.streams.transport.AccessList;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * A proxy on its defaults, connected to ClearIP, that records what the operations do to it: for
 * the tests of the operations, readiness and the fleet's shared settings.
 */
public final class FakeProxy implements ManagedProxy {
  final ProxyConfig config;
  volatile AccessList access = AccessList.LOOPBACK_ONLY;
  public volatile CallSettings settings;
  volatile String retargeted;
  volatile boolean warmingUp;
  volatile boolean draining;

  public FakeProxy() {
    try {
      config = ProxyConfig.defaults();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    settings = config.calls();
  }

  @Override
  public ProxyConfig config() {
    return config;
  }

  @Override
  public int callsInFlight() {
    return 0;
  }

  @Override
  public int callsAwaitingAnswer() {
    return 0;
  }

  @Override
  public boolean isDraining() {
    return draining;
  }

  @Override
  public boolean isWarmingUp() {
    return warmingUp;
  }

  @Override
  public void drain() {
    draining = true;
  }

  @Override
  public void stopAllCalls(String reason) {}

  @Override
  public boolean isUpstreamConnected() {
    return true;
  }

  @Override
  public int upstreamQueueDepth() {
    return 0;
  }

  @Override
  public void retargetUpstream(String uri) {
    retargeted = uri;
  }

  @Override
  public CompletionStage<UpstreamConnection.Status> upstreamStatus(Duration timeout) {
    return new CompletableFuture<>();
  }

  @Override
  public CallSettings callSettings() {
    return settings;
  }

  @Override
  public void updateCallSettings(CallSettings s) {
    settings = s;
  }

  @Override
  public void setAccessList(AccessList a) {
    access = a;
  }

  @Override
  public String replaceTls(ProxyConfig next) {
    return "certificates re-read";
  }

  @Override
  public CompletionStage<Done> stop() {
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
