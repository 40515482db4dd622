package clearip.proxy.ops.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigChangesTest {
  static final Config STARTED = ConfigFactory.parseString("""
      clearip-proxy { mode = tls-proxy, listen.udp = ["0.0.0.0:5060"],
        listen.tls-certificate = "/etc/a.pem", calls { threads = 0, t1 = 500ms },
        upstream { uri = "sip:a", timeout = 2s, queue-size = 10 },
        trace.enabled = off, access.allow = [] }
      pekko.loglevel = INFO""");

  @Test
  void everyChangedKeyIsReportedAsAppliedOrNeedingARestart() {
    Config next = ConfigFactory.parseString("""
        clearip-proxy { mode = tls-proxy, listen.udp = ["0.0.0.0:5062"],
          listen.tls-certificate = "/etc/b.pem", calls { threads = 4, t1 = 400ms },
          upstream { uri = "sip:b", timeout = 3s, queue-size = 20 },
          trace.enabled = on, access.allow = ["10.0.0.0/8"] }
        pekko.loglevel = DEBUG""");
    ConfigChanges c = ConfigChanges.between(STARTED, STARTED, next, true);
    assertEquals(List.of("clearip-proxy.access.allow", "clearip-proxy.calls.t1",
        "clearip-proxy.listen.tls-certificate", "clearip-proxy.upstream.timeout",
        "clearip-proxy.upstream.uri"), c.applied());
    assertEquals(List.of("clearip-proxy.calls.threads", "clearip-proxy.listen.udp",
        "clearip-proxy.trace.enabled", "clearip-proxy.upstream.queue-size", "pekko.loglevel"),
        c.needRestart());
  }

  @Test
  void aListenerCertificateNeedsARestartWhereNoTlsListenerRuns() {
    Config next = STARTED.withFallback(ConfigFactory.empty()).withValue(
        "clearip-proxy.listen.tls-certificate",
        ConfigValueFactory.fromAnyRef("/etc/b.pem"));
    ConfigChanges c = ConfigChanges.between(STARTED, STARTED, next, false);
    assertEquals(List.of(), c.applied());
    assertEquals(List.of("clearip-proxy.listen.tls-certificate"), c.needRestart());
  }

  @Test
  void aKeyAppliedEarlierIsNotReportedAgainButOneNeedingARestartIs() {
    Config running = STARTED.withValue("clearip-proxy.calls.t1",
            ConfigValueFactory.fromAnyRef("400ms"))
        .withValue("clearip-proxy.calls.threads",
            ConfigValueFactory.fromAnyRef(4));
    ConfigChanges c = ConfigChanges.between(STARTED, running, running, true);
    assertEquals(List.of(), c.applied());
    assertEquals(List.of("clearip-proxy.calls.threads"), c.needRestart());
    assertEquals("needs restart: clearip-proxy.calls.threads", c.toString());
    assertTrue(ConfigChanges.between(STARTED, STARTED, STARTED, true).none());
  }
}
