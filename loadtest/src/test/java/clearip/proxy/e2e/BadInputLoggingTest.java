package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import clearip.proxy.actors.call.CallMetrics;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.streams.tls.TestPki;
import clearip.proxy.streams.transport.TransportMetrics;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Bad input from the network is logged as one line, never with a stack trace: malformed SIP
 * over UDP, an unframeable TCP stream, and plain text on the TLS port, with the log at INFO as
 * in production.
 */
class BadInputLoggingTest {

  @Test
  void badInputOnEveryTransportLogsNoStackTrace() throws Exception {
    Path work = Files.createTempDirectory("e2e-bad-input");
    TestPki pki = TestPki.create(work.resolve("pki"));
    TestPki.Leaf leaf = pki.issue("proxy", TestPki.KeyType.EC_P256, "127.0.0.1", "localhost");
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Config c = ConfigFactory.parseString(String.join("\n",
        "clearip-proxy.listen.udp = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tcp = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tls = [\"127.0.0.1:0\"]",
        "clearip-proxy.upstream.uri = \"sip:127.0.0.1:" + closed + ";transport=tcp\""))
        .withValue("clearip-proxy.listen.tls-certificate",
            ConfigValueFactory.fromAnyRef(leaf.chain().toString()))
        .withValue("clearip-proxy.listen.tls-private-key",
            ConfigValueFactory.fromAnyRef(leaf.privateKey().toString()));

    Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory())
        .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Level before = root.getLevel();
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    root.addAppender(events);
    root.setLevel(Level.INFO);
    ProxyServer proxy = null;
    try {
      proxy = ProxyServer.start(ProxyConfig.from(c), CallMetrics.NONE, TransportMetrics.NONE)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      udpMalformed(proxy.bound().udp().get(0));
      untilClosed(proxy.bound().tcp().get(0),
          "INVITE sip:1@x SIP/2.0\r\nContent-Length: many\r\n\r\n");
      untilClosed(proxy.bound().tls().get(0), "OPTIONS sip:1@x SIP/2.0\r\n\r\n");
    } finally {
      if (proxy != null) proxy.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
      root.setLevel(before);
      root.detachAppender(events);
    }
    List<String> withTrace = events.list.stream().filter(e -> e.getThrowableProxy() != null)
        .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage())
        .toList();
    assertEquals(List.of(), withTrace, "log events carrying a stack trace");
    assertTrue(events.list.stream().anyMatch(e -> e.getFormattedMessage().contains("Malformed")),
        "the bad UDP message was logged (one line)");
  }

  /** A request without the mandatory headers: answered 400, received here. */
  static void udpMalformed(InetSocketAddress proxy) throws IOException {
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      s.setSoTimeout(10_000);
      byte[] m = ("INVITE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:"
          + s.getLocalPort() + ";branch=z9hG4bKbad\r\nCSeq: x\r\nContent-Length: 0\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII);
      s.send(new DatagramPacket(m, m.length, proxy));
      byte[] buf = new byte[8192];
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      s.receive(p);
      assertTrue(new String(buf, 0, p.getLength(), StandardCharsets.US_ASCII)
          .startsWith("SIP/2.0 400"));
    }
  }

  /** Sends junk on a stream and reads until the proxy closes the connection. */
  static void untilClosed(InetSocketAddress proxy, String junk) throws IOException {
    try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
      s.setSoTimeout(15_000);
      s.getOutputStream().write(junk.getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      try {
        while (in.read(buf) >= 0) {
          // drain what the proxy answers until it closes
        }
      } catch (java.net.SocketException reset) {
        // closed by a reset: closed all the same
      }
    }
  }
}
