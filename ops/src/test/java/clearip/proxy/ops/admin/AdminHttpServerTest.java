package clearip.proxy.ops.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.ops.config.AdminSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdminHttpServerTest {
  static final InetSocketAddress ANY_PORT =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  final List<Socket> sockets = new ArrayList<>();
  AdminHttpServer server;

  @AfterEach
  void close() throws IOException {
    for (Socket s : sockets) s.close();
    if (server != null) server.close();
  }

  AdminHttpServer start(AdminSettings settings) throws IOException {
    server = AdminHttpServer.start(ANY_PORT, settings, path -> path.equals("/ready")
        ? new AdminHttpServer.Page(200, "text/plain", "ready\n")
        : new AdminHttpServer.Page(404, "text/plain", "not found\n"));
    return server;
  }

  Socket connect() throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.connect(server.address(), 5000);
    s.setSoTimeout(10_000);
    return s;
  }

  /** Sends a request and reads the whole answer (the server closes after it). */
  String exchange(String request) throws IOException {
    try (Socket s = connect()) {
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void answersGetAndHeadAndRefusesTheRest() throws Exception {
    start(AdminSettings.defaults());
    String ok = exchange("GET /ready?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
    assertTrue(ok.startsWith("HTTP/1.1 200 OK\r\n"), ok);
    assertTrue(ok.contains("Content-Length: 6\r\n") && ok.endsWith("\r\n\r\nready\n"), ok);
    String head = exchange("HEAD /ready HTTP/1.0\n\n");
    assertTrue(head.startsWith("HTTP/1.1 200 OK") && head.endsWith("\r\n\r\n"), head);
    assertTrue(exchange("GET /nope HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 404 "));
    String post = exchange("POST /ready HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assertTrue(post.startsWith("HTTP/1.1 405 ") && post.contains("Allow: GET, HEAD"), post);
    assertTrue(exchange("nonsense\r\n\r\n").startsWith("HTTP/1.1 400 "));
    assertTrue(exchange("GET /" + "x".repeat(AdminHttpServer.MAX_HEAD) + " HTTP/1.1\r\n\r\n")
        .startsWith("HTTP/1.1 431 "));
  }

  @Test
  void stalledClientsDelayNobody() throws Exception {
    // a minute per exchange: were a stalled client holding the server, nothing would answer
    start(new AdminSettings(Duration.ofMinutes(1), 128));
    for (int i = 0; i < 64; i++) {
      OutputStream out = connect().getOutputStream();
      out.write("GET /rea".getBytes(StandardCharsets.ISO_8859_1)); // and never more
      out.flush();
    }
    for (int i = 0; i < 3; i++) {
      assertTrue(exchange("GET /ready HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 200 OK"));
    }
  }

  @Test
  void aClientThatTakesTooLongIsDisconnected() throws Exception {
    start(new AdminSettings(Duration.ofMillis(200), 128));
    Socket slow = connect();
    slow.getOutputStream().write("GET /ready HTTP/1.1\r\n".getBytes(StandardCharsets.ISO_8859_1));
    InputStream in = slow.getInputStream();
    assertEquals(-1, in.read(), "closed without an answer");
  }

  @Test
  void pastTheConnectionLimitTheOldestGoes() throws Exception {
    start(new AdminSettings(Duration.ofMinutes(1), 2));
    Socket first = connect();
    first.getOutputStream().write('G');
    Socket second = connect();
    second.getOutputStream().write('G');
    assertTrue(exchange("GET /ready HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 200 OK"));
    assertEquals(-1, first.getInputStream().read(), "the oldest was closed to make room");
  }
}
