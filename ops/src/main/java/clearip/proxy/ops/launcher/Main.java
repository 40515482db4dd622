package clearip.proxy.ops.launcher;

import clearip.proxy.ops.config.ConfigProblemException;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.metrics.ProxyMetrics;
import clearip.proxy.ops.server.ProxyServer;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code clearip-proxy} command: {@code run}, {@code check-config} and {@code version}.
 * Exit codes: 0 success, 1 bad configuration, 2 usage, 3 start-up failure. The demo and the
 * ClearIP emulator are in {@code clearip-demo.jar} (loadtest module), not in this jar.
 */
public final class Main {
  private Main() {}

  static final String USAGE = String.join("\n",
      "usage: clearip-proxy <command> [options]",
      "  run [--config FILE]        run the proxy (defaults from reference.conf; -Dkey=value wins)",
      "  check-config FILE          validate a configuration file and exit",
      "  version                    print the version");

  public static void main(String[] args) throws Exception {
    System.exit(run(args));
  }

  static int run(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println(USAGE);
      return 2;
    }
    List<String> rest = Arrays.asList(args).subList(1, args.length);
    switch (args[0]) {
      case "run":
        return runProxy(option(rest, "--config"));
      case "check-config":
        if (rest.size() != 1) {
          System.err.println(USAGE);
          return 2;
        }
        return checkConfig(Path.of(rest.get(0)));
      case "demo", "emulator":
        // the test double is not shipped: say where it is instead of "unknown command"
        System.err.println("'" + args[0] + "' is in clearip-demo.jar (loadtest/target), not in "
            + "the production jar; from a source checkout: ./clearip-proxy " + args[0]);
        return 2;
      case "version":
        String v = Main.class.getPackage().getImplementationVersion();
        System.out.println("clearip-proxy " + (v == null ? "(development build)" : v));
        return 0;
      default:
        System.err.println("unknown command '" + args[0] + "'\n" + USAGE);
        return 2;
    }
  }

  static String option(List<String> args, String name) {
    int i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : null;
  }

  static int checkConfig(Path file) {
    try {
      ProxyConfig c = ProxyConfig.load(file);
      System.out.println(file + ": OK (" + c.mode() + " mode, ClearIP at " + c.upstream().uri()
          + ")");
      return 0;
    } catch (ConfigProblemException e) {
      for (String p : e.problems()) System.err.println(p);
      System.err.println(file + ": " + e.problems().size() + " problem(s)");
      return 1;
    }
  }

  private static int runProxy(String configFile) throws Exception {
    ProxyConfig config;
    try {
      config = configFile == null ? ProxyConfig.defaults() : ProxyConfig.load(Path.of(configFile));
    } catch (ConfigProblemException e) {
      for (String p : e.problems()) System.err.println(p);
      return 1;
    }
    ProxyMetrics metrics = new ProxyMetrics();
    ProxyServer server;
    OperatorAccess operatorAccess;
    try {
      server = ProxyServer.start(config, metrics.calls(), metrics.transports(), true)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("clearip-proxy failed to start: " + rootMessage(e));
      return 3;
    }
    try {
      operatorAccess = OperatorAccess.start(server, metrics,
          configFile == null ? null : Path.of(configFile),
          ManagementFactory.getPlatformMBeanServer(), server.traces(), true);
    } catch (Exception e) {
      System.err.println("clearip-proxy failed to start: " + rootMessage(e));
      server.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return 3;
    }
    // SIGTERM (systemctl stop) drains: new INVITEs get 503, calls in flight finish up to
    // shutdown.drain-timeout, then the listeners close and main returns 0 (the signals are
    // handled from before /ready answers)
    long bound = config.drainTimeout().toSeconds() + 30;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        operatorAccess.drainAndStop().toCompletableFuture().get(bound, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // exiting anyway
      }
    }, "clearip-proxy-shutdown"));
    server.system().getWhenTerminated().toCompletableFuture().join();
    operatorAccess.drainAndStop().toCompletableFuture().get(bound, TimeUnit.SECONDS);
    metrics.close();
    return 0;
  }

  static String rootMessage(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }
}
