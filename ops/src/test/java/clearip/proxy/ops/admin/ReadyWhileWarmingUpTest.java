package clearip.proxy.ops.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@code /ready} says 503 "warming up" until the warm-up is over, then what it said before. */
class ReadyWhileWarmingUpTest {

  @Test
  void readyAnswers503WarmingUpUntilTheWarmUpIsOver() throws Exception {
    FakeProxy proxy = new FakeProxy();
    proxy.warmingUp = true;
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
    FakeProxy proxy = new FakeProxy();
    proxy.warmingUp = true;
    proxy.draining = true;
    assertEquals("draining", new ProxyOperations(proxy, null).notReadyReason());
  }
}
