package clearip.proxy.ops.admin;

import clearip.proxy.ops.metrics.ProxyMetrics;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP endpoint, on the JDK's HTTP server and two threads of its own (never a Pekko
 * dispatcher): {@code GET /metrics} (Prometheus text), {@code /health} (200 while the process
 * runs) and {@code /ready} (200, or 503 with the reason).
 */
public final class AdminHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminHttpServer.class);
  private static final String TEXT = "text/plain; charset=utf-8";

  private final HttpServer http;
  private final ExecutorService pool;

  private AdminHttpServer(HttpServer http, ExecutorService pool) {
    this.http = http;
    this.pool = pool;
  }

  /** Binds {@code address} (port 0 picks one) and starts serving. */
  public static AdminHttpServer start(InetSocketAddress address, ProxyMetrics metrics,
      ProxyOperations operations) throws IOException {
    HttpServer http = HttpServer.create(address, 16);
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads = r -> {
      Thread t = new Thread(r, "clearip-admin-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    ExecutorService pool = Executors.newFixedThreadPool(2, threads);
    http.setExecutor(pool);
    http.createContext("/", exchange -> {
      try (exchange) {
        handle(exchange, metrics, operations);
      } catch (RuntimeException e) {
        log.warn("admin HTTP {} failed: {}", exchange.getRequestURI(), e.toString());
      }
    });
    http.start();
    AdminHttpServer s = new AdminHttpServer(http, pool);
    log.info("Admin HTTP on http://{}/ (/metrics, /health, /ready)", format(s.address()));
    return s;
  }

  private static void handle(HttpExchange ex, ProxyMetrics metrics, ProxyOperations ops)
      throws IOException {
    String method = ex.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      ex.getResponseHeaders().set("Allow", "GET, HEAD");
      send(ex, 405, TEXT, "method not allowed\n");
      return;
    }
    switch (ex.getRequestURI().getPath()) {
      case "/metrics" -> send(ex, 200, ProxyMetrics.CONTENT_TYPE, metrics.scrape());
      case "/health" -> send(ex, 200, TEXT, "ok\n");
      case "/ready" -> {
        String reason = ops.notReadyReason();
        if (reason == null) {
          send(ex, 200, TEXT, "ready\n");
        } else {
          send(ex, 503, TEXT, "not ready: " + reason + "\n");
        }
      }
      default -> send(ex, 404, TEXT, "not found; try /metrics, /health or /ready\n");
    }
  }

  private static void send(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The bound address (the real port when 0 was asked). */
  public InetSocketAddress address() {
    return http.getAddress();
  }

  static String format(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  @Override
  public void close() {
    http.stop(0);
    pool.shutdownNow();
  }
}
