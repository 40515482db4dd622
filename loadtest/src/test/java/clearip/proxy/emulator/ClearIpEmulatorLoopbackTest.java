package clearip.proxy.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.message.SipResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real round trips over loopback sockets (127.0.0.1 only, ephemeral ports, bounded waits). */
class ClearIpEmulatorLoopbackTest {
  private static final int TIMEOUT_MS = 5_000;
  private static final ActorTestKit kit = ActorTestKit.create();
  private static ClearIpEmulator emulator;

  @BeforeAll
  static void start() throws Exception {
    EmulatorSettings s = TestSettings.of("""
        listen { udp = ["127.0.0.1:0"], tcp = ["127.0.0.1:0"], tls = ["127.0.0.1:0"] }
        identity.reuse-for = 0s
        rules = [
          { called-prefix = "1", action = redirect, identity = on,
            destinations = ["sip:${user}@127.0.0.1:5080", "sip:${user}@127.0.0.1:5082"] }
          { called-prefix = "9", action = block, drop-connection = on }
        ]""");
    emulator = ClearIpEmulator.start(kit.system(), s).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (emulator != null) emulator.stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
    kit.shutdownTestKit();
  }

  private static byte[] invite(String called, String transport, String callId) {
    return Requests.inviteText("sip:" + called + "@127.0.0.1", "+14045266060", callId,
        "z9hG4bK-" + callId).replace("SIP/2.0/UDP 192.0.2.20", "SIP/2.0/" + transport
        + " 127.0.0.1").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void redirectOverUdp() throws Exception {
    InetSocketAddress to = emulator.bound().udp().get(0);
    try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      socket.setSoTimeout(TIMEOUT_MS);
      byte[] req = invite("+14016401234", "UDP", "udp-1");
      socket.send(new DatagramPacket(req, req.length, to));
      byte[] buf = new byte[8192];
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      socket.receive(p);
      byte[] got = java.util.Arrays.copyOf(buf, p.getLength());
      SipResponse r = RecordingOrigin.decode(got);
      assertEquals(302, r.statusCode());
      assertEquals("udp-1", r.callId());
      assertEquals(2, r.contacts().size());
      assertIdentityVerifies(r);
    }
  }

  @Test
  void noActionOverTcpAndConnectionDrop() throws Exception {
    InetSocketAddress to = emulator.bound().tcp().get(0);
    try (Socket socket = new Socket()) {
      socket.connect(to, TIMEOUT_MS);
      socket.setSoTimeout(TIMEOUT_MS);
      socket.getOutputStream().write(invite("+33155550100", "TCP", "tcp-1"));
      SipResponse r = RecordingOrigin.decode(readMessage(socket.getInputStream()));
      assertEquals(503, r.statusCode());
      assertEquals("tcp-1", r.callId());
      // the same connection, a rule that drops it: end of stream instead of an answer
      socket.getOutputStream().write(invite("+9000", "TCP", "tcp-2"));
      assertEquals(-1, socket.getInputStream().read());
    }
  }

  @Test
  void redirectOverTlsWithTheSelfSignedCertificate() throws Exception {
    InetSocketAddress to = emulator.bound().tls().get(0);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {new TrustEverything()}, null); // loopback test only
    try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket()) {
      socket.connect(to, TIMEOUT_MS);
      socket.setSoTimeout(TIMEOUT_MS);
      socket.getOutputStream().write(invite("+14016401234", "TLS", "tls-1"));
      SipResponse r = RecordingOrigin.decode(readMessage(socket.getInputStream()));
      assertEquals(302, r.statusCode());
      assertIdentityVerifies(r);
    }
  }

  /** Reads one response with Content-Length: 0 (all the emulator sends) off a stream. */
  private static byte[] readMessage(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int b = in.read();
      if (b < 0) throw new IOException("stream ended after " + out);
      out.write(b);
      state = (b == (state % 2 == 0 ? '\r' : '\n')) ? state + 1 : (b == '\r' ? 1 : 0);
    }
    return out.toByteArray();
  }

  private static void assertIdentityVerifies(SipResponse r) throws Exception {
    String identity = r.header(HeaderName.IDENTITY);
    String jws = identity.substring(0, identity.indexOf(';'));
    int dot = jws.lastIndexOf('.');
    Signature v = Signature.getInstance("SHA256withECDSA");
    v.initVerify(emulator.signer().publicKey().orElseThrow());
    v.update(jws.substring(0, dot).getBytes(StandardCharsets.US_ASCII));
    assertTrue(v.verify(Es256.joseToDer(Base64.getUrlDecoder().decode(jws.substring(dot + 1)))));
  }

  private static final class TrustEverything implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
