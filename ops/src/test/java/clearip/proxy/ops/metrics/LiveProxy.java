package clearip.proxy.ops.metrics;

import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.launcher.OperatorAccess;
import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.ops.trace.TraceControl;
import com.typesafe.config.ConfigFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.management.MBeanServerFactory;

/**
 * A running proxy on loopback as an operator starts it (meters, JMX, the admin endpoint), whose
 * GET /metrics the shipped dashboard and alert rules are checked against. Its ClearIP does not
 * answer: every series exists from the start, whatever the calls.
 */
final class LiveProxy implements AutoCloseable {
  private final ProxyMetrics metrics;
  private final ProxyServer server;
  private final OperatorAccess access;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private LiveProxy(ProxyMetrics metrics, ProxyServer server, OperatorAccess access) {
    this.metrics = metrics;
    this.server = server;
    this.access = access;
  }

  static LiveProxy start() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    ProxyConfig config = ProxyConfig.from(ConfigFactory.parseString(String.join("\n",
        "clearip-proxy.listen.udp = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tcp = [\"127.0.0.1:0\"]",
        "clearip-proxy.listen.tls = []",
        "clearip-proxy.upstream.uri = \"sip:127.0.0.1:" + closedPort + ";transport=tcp\"",
        "clearip-proxy.admin.listen = \"127.0.0.1:0\"")));
    ProxyMetrics metrics = new ProxyMetrics();
    ProxyServer server = ProxyServer.start(config, metrics.calls(), metrics.transports())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    OperatorAccess access = OperatorAccess.start(server, metrics, null,
        MBeanServerFactory.newMBeanServer(), TraceControl.NONE);
    return new LiveProxy(metrics, server, access);
  }

  /** GET /metrics over HTTP. */
  String scrape() throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + access.adminAddress().getPort() + "/metrics");
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IllegalStateException("GET /metrics: " + r.statusCode());
    return r.body();
  }

  /**
   * The sample names of a scrape once {@code ready} holds for it (e.g. the JVM has reported a
   * collection), polled up to a deadline.
   */
  Set<String> seriesNames(Predicate<String> ready, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    String scrape = scrape();
    while (!ready.test(scrape)) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("the scrape never showed what was awaited:\n" + scrape);
      }
      TimeUnit.MILLISECONDS.sleep(50);
      scrape = scrape();
    }
    return seriesNames(scrape);
  }

  static Set<String> seriesNames(String scrape) {
    Set<String> names = new TreeSet<>();
    for (String line : scrape.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      names.add(line.split("[{ ]", 2)[0]);
    }
    return names;
  }

  @Override
  public void close() throws Exception {
    access.close();
    server.stop().toCompletableFuture().get(20, TimeUnit.SECONDS);
    metrics.close();
  }
}
