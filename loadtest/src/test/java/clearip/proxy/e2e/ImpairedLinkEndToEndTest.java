package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Loss and delay between the switch and the proxy: SIPp's calls cross {@link ImpairedUdpLink}
 * (150 ms each way, the first copy of every third message dropped). Every
 * INVITE still gets its one final, by the retransmissions of RFC 3261 17 on both sides. (SIPp's
 * own {@code -lost} draws at random, so a test built on it could fail by chance.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImpairedLinkEndToEndTest {
  static final Duration T = Duration.ofSeconds(60);
  Path work;
  E2e.ProxyOnEmulator bench;

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("e2e-impaired");
    bench = E2e.ProxyOnEmulator.start(work, """
        clearip-emulator {
          listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] }
          rules = [
            { name = b6, called-prefix = "6", action = block }
            { name = r1, called-prefix = "1", action = redirect, identity = on, attest = A,
              destinations = ["sip:${user}@127.0.0.1:5080", "sip:${user}@127.0.0.1:5082"] }
          ]
        }
        """);
  }

  @AfterAll
  void stop() throws Exception {
    if (bench != null) bench.close();
  }

  @Test
  void everyCallGetsItsFinalAcrossALossySlowLink() throws Exception {
    Sipp.assumeInstalled();
    try (ImpairedUdpLink link = new ImpairedUdpLink(bench.proxy.bound().udp().get(0), 150, 3)) {
      Sipp.Result blocked = Sipp.run(work.resolve("603"), "uac_603", "6195550100",
          link.switchSide(), "u1", 20, 10, T, "-recv_timeout", "20000");
      TlsProxyEndToEndTest.assertAllPassed(blocked, 20);
      Sipp.Result redirected = Sipp.run(work.resolve("302"), "uac_302", "14016401234",
          link.switchSide(), "u1", 20, 10, T, "-recv_timeout", "20000");
      TlsProxyEndToEndTest.assertAllPassed(redirected, 20);
      // the link did drop messages both ways (a third of the 200+ distinct ones)
      assertTrue(link.droppedToProxy() > 0, "dropped to the proxy: " + link.droppedToProxy());
      assertTrue(link.droppedToSwitch() > 0, "dropped to the switch: " + link.droppedToSwitch());
    }
  }
}
