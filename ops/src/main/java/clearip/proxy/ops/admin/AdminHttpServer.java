package clearip.proxy.ops.admin;

import clearip.proxy.ops.config.AdminSettings;
import clearip.proxy.ops.metrics.ProxyMetrics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP endpoint: {@code GET /metrics} (Prometheus text), {@code /health} (200 while
 * the process runs) and {@code /ready} (200, or 503 with the reason).
 *
 * <p>One thread of its own with a non-blocking selector (never a Pekko dispatcher), so a client
 * that opens a connection and never finishes its request holds no thread: every other request
 * is still answered at once. Each exchange (request in, response out) must be over within the
 * request timeout, or the connection is closed; at most {@code maxConnections} are open, and a
 * new one pushes out the oldest. One request per connection ({@code Connection: close}).
 */
public final class AdminHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminHttpServer.class);
  private static final String TEXT = "text/plain; charset=utf-8";
  /** A request head (request line and header fields) larger than this is refused (431). */
  static final int MAX_HEAD = 8192;

  /** An answer: status, content type and body. */
  public record Page(int status, String contentType, String body) {}

  private final ServerSocketChannel server;
  private final Selector selector;
  private final AdminSettings settings;
  private final Function<String, Page> pages;
  /** Open connections, oldest first. */
  private final ArrayDeque<Conn> open = new ArrayDeque<>();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile int openCount;

  private static final class Conn {
    final SocketChannel channel;
    final long deadline;
    final ByteBuffer in = ByteBuffer.allocate(MAX_HEAD);
    ByteBuffer out;

    Conn(SocketChannel channel, long deadline) {
      this.channel = channel;
      this.deadline = deadline;
    }
  }

  private AdminHttpServer(ServerSocketChannel server, Selector selector, AdminSettings settings,
      Function<String, Page> pages) {
    this.server = server;
    this.selector = selector;
    this.settings = settings;
    this.pages = pages;
    this.thread = new Thread(this::run, "clearip-admin-http");
    thread.setDaemon(true);
  }

  /** Binds {@code address} (port 0 picks one) and serves the proxy's pages. */
  public static AdminHttpServer start(InetSocketAddress address, AdminSettings settings,
      ProxyMetrics metrics, Readiness readiness) throws IOException {
    AdminHttpServer s = start(address, settings, path -> page(path, metrics, readiness));
    log.info("Admin HTTP on http://{}/ (/metrics, /health, /ready)", format(s.address()));
    return s;
  }

  /** Binds {@code address} and serves what {@code pages} says for each GET path. */
  static AdminHttpServer start(InetSocketAddress address, AdminSettings settings,
      Function<String, Page> pages) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    Selector selector = Selector.open();
    try {
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(address, 64);
      server.configureBlocking(false);
      server.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException e) {
      selector.close();
      server.close();
      throw e;
    }
    AdminHttpServer s = new AdminHttpServer(server, selector, settings, pages);
    s.thread.start();
    return s;
  }

  static Page page(String path, ProxyMetrics metrics, Readiness readiness) {
    return switch (path) {
      case "/metrics" -> new Page(200, ProxyMetrics.CONTENT_TYPE, metrics.scrape());
      case "/health" -> new Page(200, TEXT, "ok\n");
      case "/ready" -> {
        String reason = readiness.notReadyReason();
        yield reason == null ? new Page(200, TEXT, "ready\n")
            : new Page(503, TEXT, "not ready: " + reason + "\n");
      }
      default -> new Page(404, TEXT, "not found; try /metrics, /health or /ready\n");
    };
  }

  // ---- the selector thread -----------------------------------------------------------------

  private void run() {
    long timeoutMillis = Math.max(1, settings.requestTimeout().toMillis());
    while (running) {
      try {
        Conn oldest = open.peekFirst();
        long wait = oldest == null ? timeoutMillis
            : Math.max(1, (oldest.deadline - System.nanoTime()) / 1_000_000 + 1);
        selector.select(wait);
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey k = keys.next();
          keys.remove();
          if (!k.isValid()) continue;
          if (k.isAcceptable()) {
            accept();
          } else if (k.isReadable()) {
            read(k, (Conn) k.attachment());
          } else if (k.isWritable()) {
            write(k, (Conn) k.attachment());
          }
        }
        expire();
      } catch (IOException | RuntimeException e) {
        if (running) log.warn("Admin HTTP: {}", e.toString());
      }
    }
  }

  private void accept() throws IOException {
    SocketChannel ch;
    while ((ch = server.accept()) != null) {
      if (open.size() >= settings.maxConnections()) close(open.peekFirst()); // oldest goes
      ch.configureBlocking(false);
      Conn c = new Conn(ch, System.nanoTime() + settings.requestTimeout().toNanos());
      ch.register(selector, SelectionKey.OP_READ, c);
      open.addLast(c);
      openCount = open.size();
    }
  }

  private void read(SelectionKey k, Conn c) {
    int n;
    try {
      n = c.channel.read(c.in);
    } catch (IOException e) {
      close(c);
      return;
    }
    if (n < 0) {
      close(c);
      return;
    }
    int end = headEnd(c.in);
    if (end < 0) {
      if (!c.in.hasRemaining()) respond(k, c, "GET", new Page(431, TEXT, "request too large\n"));
      return;
    }
    String head = new String(c.in.array(), 0, end, StandardCharsets.ISO_8859_1);
    String[] line = head.substring(0, head.indexOf('\n')).trim().split(" ");
    if (line.length != 3 || !line[2].startsWith("HTTP/")) {
      respond(k, c, "GET", new Page(400, TEXT, "bad request\n"));
      return;
    }
    String method = line[0];
    if (!method.equals("GET") && !method.equals("HEAD")) {
      respond(k, c, "GET", new Page(405, TEXT, "method not allowed\n"));
      return;
    }
    String path = line[1];
    int q = path.indexOf('?');
    if (q >= 0) path = path.substring(0, q);
    Page p;
    try {
      p = pages.apply(path);
    } catch (RuntimeException e) {
      log.warn("admin HTTP {} failed: {}", path, e.toString());
      p = new Page(500, TEXT, "internal error\n");
    }
    respond(k, c, method, p);
  }

  /** Where the request head ends (just past its empty line), or -1 while it has not. */
  static int headEnd(ByteBuffer in) {
    byte[] b = in.array();
    for (int i = 0, n = in.position(); i < n; i++) {
      if (b[i] != '\n') continue;
      if (i >= 1 && b[i - 1] == '\n') return i + 1;
      if (i >= 2 && b[i - 1] == '\r' && b[i - 2] == '\n') return i + 1;
    }
    return -1;
  }

  private void respond(SelectionKey k, Conn c, String method, Page p) {
    byte[] body = p.body().getBytes(StandardCharsets.UTF_8);
    StringBuilder h = new StringBuilder(160)
        .append("HTTP/1.1 ").append(p.status()).append(' ').append(reason(p.status()))
        .append("\r\nContent-Type: ").append(p.contentType())
        .append("\r\nContent-Length: ").append(body.length)
        .append("\r\nCache-Control: no-store\r\nConnection: close\r\n");
    if (p.status() == 405) h.append("Allow: GET, HEAD\r\n");
    byte[] head = h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    boolean withBody = !method.equals("HEAD");
    c.out = ByteBuffer.allocate(head.length + (withBody ? body.length : 0));
    c.out.put(head);
    if (withBody) c.out.put(body);
    c.out.flip();
    k.interestOps(SelectionKey.OP_WRITE);
    write(k, c);
  }

  private void write(SelectionKey k, Conn c) {
    try {
      c.channel.write(c.out);
    } catch (IOException e) {
      close(c);
      return;
    }
    if (!c.out.hasRemaining()) close(c);
  }

  private void expire() {
    long now = System.nanoTime();
    while (!open.isEmpty() && now - open.peekFirst().deadline >= 0) close(open.peekFirst());
  }

  private void close(Conn c) {
    if (c == null) return;
    open.remove(c);
    openCount = open.size();
    try {
      c.channel.close(); // also cancels its key
    } catch (IOException e) {
      // closing anyway
    }
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 431 -> "Request Header Fields Too Large";
      case 503 -> "Service Unavailable";
      default -> "Internal Server Error";
    };
  }

  /** The bound address (the real port when 0 was asked). */
  public InetSocketAddress address() {
    try {
      return (InetSocketAddress) server.getLocalAddress();
    } catch (IOException e) {
      throw new IllegalStateException("admin HTTP socket closed", e);
    }
  }

  /** Open connections now (for tests and the curious). */
  int openConnections() {
    return openCount;
  }

  static String format(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  @Override
  public void close() {
    running = false;
    selector.wakeup();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      for (Conn c : open) c.channel.close();
      selector.close();
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
