package clearip.proxy.actors.upstream;

import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.ParseLimits;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.codec.SipStreamFramer;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponses;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A ClearIP stand-in for upstream connection and call tests, on plain JDK sockets bound to
 * loopback: answers every INVITE with a fixed status, or misbehaves on purpose (silent, not
 * reading, no TLS handshake).
 */
public final class FakeClearIp implements AutoCloseable {
  public enum Mode { ANSWER, SILENT, NO_READ, NO_HANDSHAKE, CLOSE_AT_ONCE }

  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  public final BlockingQueue<SipRequest> received = new LinkedBlockingQueue<>();
  final BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
  final AtomicInteger connections = new AtomicInteger();
  public volatile Mode mode;
  public volatile int status = 302;
  /** Contacts in each answer (0: none), e.g. more than a proxy's parse limits allow. */
  public volatile int contacts;
  private final Thread acceptor;

  public FakeClearIp(Mode mode, SSLContext tls) throws IOException {
    this.mode = mode;
    InetAddress lo = InetAddress.getLoopbackAddress();
    if (tls != null && mode != Mode.NO_HANDSHAKE) {
      SSLServerSocket s = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(0, 50,
          lo);
      s.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      server = s;
    } else {
      server = new ServerSocket(0, 50, lo);
    }
    acceptor = new Thread(this::acceptLoop, "fake-clearip-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        connections.incrementAndGet();
        accepted.add(s);
        Thread t = new Thread(() -> serve(s), "fake-clearip-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      if (mode == Mode.CLOSE_AT_ONCE) {
        if (s instanceof javax.net.ssl.SSLSocket tls) tls.startHandshake(); // then close
        return;
      }
      if (mode == Mode.NO_READ || mode == Mode.NO_HANDSHAKE) {
        // hold the connection open without reading a byte
        while (!s.isClosed() && !server.isClosed()) {
          synchronized (this) {
            wait(50);
          }
        }
        return;
      }
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      SipStreamFramer framer = new SipStreamFramer(ParseLimits.DEFAULT);
      SipDecoder decoder = new SipDecoder();
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) > 0; ) {
        framer.feed(buf, 0, n);
        for (SipStreamFramer.Frame f; (f = framer.next()) != null; ) {
          if (!(f instanceof SipStreamFramer.Frame.Message m)) continue;
          Decoded d = decoder.decode(m.bytes(), 0, m.bytes().length, SipDecoder.Framing.STREAM);
          if (!(d instanceof Decoded.Ok ok) || !(ok.message() instanceof SipRequest r)) continue;
          received.add(r);
          if (mode == Mode.SILENT || r.isAck()) continue;
          int code = r.methodIs("OPTIONS") ? 200 : r.isCancel() ? 200 : status;
          List<SipResponses.Header> extra = List.of();
          if (contacts > 0 && r.isInvite()) {
            StringBuilder c = new StringBuilder();
            for (int i = 0; i < contacts; i++) {
              c.append(i == 0 ? "" : ", ").append("<sip:+14016401234@10.0.").append(i / 250)
                  .append('.').append(i % 250).append(":5060>;q=0.5");
            }
            extra = List.of(new SipResponses.Header("Contact", c.toString()));
          }
          out.write(SipResponses.create(r, code, SipResponses.reasonPhrase(code), "fake",
              extra));
          out.flush();
        }
      }
    } catch (IOException | InterruptedException e) {
      // connection closed by the test or the proxy
    }
  }

  /** Closes every accepted connection (the server keeps listening). */
  void dropConnections() {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // already closed
      }
    }
    sockets.clear();
  }

  @Override
  public void close() throws IOException {
    server.close();
    dropConnections();
    acceptor.interrupt();
  }
}
