package clearip.proxy.ops.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clearip.proxy.actors.call.txn.CallSettings;
import clearip.proxy.actors.upstream.UpstreamConnection;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.streams.transport.AccessList;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.junit.jupiter.api.Test;

/** {@code /ready} says 503 "warming up" until the warm-up is over, then what it said before. */
class ReadyWhileWarmingUpTest {

  /** A running proxy as far as /ready asks: connected to ClearIP, warming up or not. */
  static final class Proxy implements ManagedProxy {
    final ProxyConfig config;
    volatile boolean warmingUp = true;
    volatile boolean draining;

    Proxy() throws Exception {
      config = ProxyConfig.defaults();
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
    public void retargetUpstream(String uri) {}

    @Override
    public CompletionStage<UpstreamConnection.Status> upstreamStatus(Duration t) {
      return new CompletableFuture<>();
    }

    @Override
    public CallSettings callSettings() {
      return config.calls();
    }

    @Override
    public void updateCallSettings(CallSettings settings) {}

    @Override
    public void setAccessList(AccessList access) {}

    @Override
    public String replaceTls(ProxyConfig next) {
      return "";
    }

    @Override
    public CompletionStage<Done> stop() {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }

  @Test
  void readyAnswers503WarmingUpUntilTheWarmUpIsOver() throws Exception {
    Proxy proxy = new Proxy();
    ProxyOperations ops = new ProxyOperations(proxy, null);
    AdminHttpServer.Page warming = AdminHttpServer.page("/ready", null, ops);
    assertEquals(503, warming.status());
    assertEquals("not ready: warming up\n", warming.body());

    proxy.warmingUp = false;
    AdminHttpServer.Page ready = AdminHttpServer.page("/ready", null, ops);
    assertEquals(200, ready.status());
  }

  @Test
  void drainingWinsOverWarmingUp() throws Exception {
    Proxy proxy = new Proxy();
    proxy.draining = true;
    assertEquals("draining", new ProxyOperations(proxy, null).notReadyReason());
  }
}
