package clearip.proxy.ops.launcher;

import clearip.proxy.ops.cli.Cli;
import clearip.proxy.ops.config.ConfigProblemException;
import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.ctl.CtlCommand;
import clearip.proxy.ops.ctl.ProxyConnector;
import clearip.proxy.ops.metrics.ProxyMetrics;
import clearip.proxy.ops.server.ProxyServer;
import com.typesafe.config.ConfigFactory;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * The {@code clearip-proxy} command: {@code run}, {@code check-config}, {@code version} and
 * {@code ctl}. Exit codes: 0 success, 1 bad configuration, 2 usage (nothing started), 3 start-up
 * failure. The demo and the ClearIP emulator are in {@code clearip-demo.jar} (loadtest module),
 * not in this jar.
 */
public final class Main {
  private Main() {}

  /** Starts the proxy and runs it until it stops; the exit code. Tests pass a recorder. */
  @FunctionalInterface
  public interface ProxyRunner {
    /**
     * @param configFile the file {@code config} came from, null for the defaults
     */
    int run(ProxyConfig config, Path configFile) throws Exception;
  }

  static final String EXIT_CODES = "Exit codes: 0 done, 1 bad configuration, 2 wrong command "
      + "line (nothing started), 3 start-up failure (ctl: the proxy could not be reached).";

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    return commandLine(Main::runProxy, ProxyConnector.JMX, writer(System.out), writer(System.err))
        .execute(args);
  }

  static PrintWriter writer(PrintStream s) {
    return new PrintWriter(new java.io.OutputStreamWriter(s, Charset.defaultCharset()), true);
  }

  /** The whole command tree; {@code runner} and {@code connector} do what is asked. */
  static CommandLine commandLine(ProxyRunner runner, ProxyConnector connector, PrintWriter out,
      PrintWriter err) {
    CommandLine cl = new CommandLine(new Top())
        .addSubcommand("run", new Run(runner))
        .addSubcommand("check-config", new CheckConfig())
        .addSubcommand("version", new VersionCommand())
        .addSubcommand("ctl", CtlCommand.commandLine(connector))
        .addSubcommand("help", new CommandLine.HelpCommand())
        .addSubcommand("demo", new Elsewhere("demo"))
        .addSubcommand("emulator", new Elsewhere("emulator"));
    return Cli.configure(cl, out, err);
  }

  @Command(name = "clearip-proxy", mixinStandardHelpOptions = true,
      versionProvider = Cli.Version.class,
      description = "The ClearIP TLS Proxy and In-line Proxy.",
      footer = {"", EXIT_CODES})
  static final class Top implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      throw new ParameterException(spec.commandLine(), "missing command");
    }
  }

  /** {@code -Dkey=value} after the command, as a JVM option would: wins over the file. */
  static final class SystemProperties {
    @Option(names = "-D", paramLabel = "KEY=VALUE",
        description = "Set a configuration key over the file, as the JVM option does "
            + "(e.g. -Dclearip-proxy.upstream.timeout=1500ms).")
    final Map<String, String> properties = new LinkedHashMap<>();

    void apply() {
      if (properties.isEmpty()) return;
      properties.forEach(System::setProperty);
      ConfigFactory.invalidateCaches(); // system properties are read once and cached
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
      description = {"Run the proxy until SIGTERM (which drains first).",
          "Without --config: the defaults of reference.conf. System properties "
              + "(-Dclearip-proxy.key=value) win over the file."},
      footer = {"", EXIT_CODES})
  static final class Run implements Callable<Integer> {
    private final ProxyRunner runner;
    @Spec CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "The configuration file.")
    Path config;

    @CommandLine.Mixin SystemProperties properties = new SystemProperties();

    Run(ProxyRunner runner) {
      this.runner = runner;
    }

    @Override
    public Integer call() throws Exception {
      properties.apply();
      ProxyConfig loaded;
      try {
        loaded = config == null ? ProxyConfig.defaults() : ProxyConfig.load(config);
      } catch (ConfigProblemException e) {
        for (String p : e.problems()) spec.commandLine().getErr().println(p);
        return Cli.CONFIG;
      }
      return runner.run(loaded, config);
    }
  }

  @Command(name = "check-config", mixinStandardHelpOptions = true,
      versionProvider = Cli.Version.class,
      description = "Validate a configuration file (over the defaults, with the system "
          + "properties) and exit: 0 when it is good, 1 with every problem listed.")
  static final class CheckConfig implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The configuration file.")
    Path file;

    @CommandLine.Mixin SystemProperties properties = new SystemProperties();

    @Override
    public Integer call() {
      properties.apply();
      return checkConfig(file, spec.commandLine().getOut(), spec.commandLine().getErr());
    }
  }

  static int checkConfig(Path file, PrintWriter out, PrintWriter err) {
    try {
      ProxyConfig c = ProxyConfig.load(file);
      out.println(file + ": OK (" + c.mode() + " mode, ClearIP at " + c.upstream().uri() + ")");
      return Cli.OK;
    } catch (ConfigProblemException e) {
      for (String p : e.problems()) err.println(p);
      err.println(file + ": " + e.problems().size() + " problem(s)");
      return Cli.CONFIG;
    }
  }

  @Command(name = "version", mixinStandardHelpOptions = true,
      versionProvider = Cli.Version.class, description = "Print the version.")
  static final class VersionCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().getOut().println(Cli.versionLine());
      return Cli.OK;
    }
  }

  /** demo and emulator: not shipped in this jar; says where they are. */
  @Command(hidden = true)
  static final class Elsewhere implements Callable<Integer> {
    private final String name;
    @Spec CommandSpec spec;
    @Unmatched List<String> ignored;

    Elsewhere(String name) {
      this.name = name;
    }

    @Override
    public Integer call() {
      spec.commandLine().getErr().println("'" + name + "' is in clearip-demo.jar "
          + "(loadtest/target), not in the production jar; from a source checkout: "
          + "./clearip-proxy " + name);
      return Cli.USAGE;
    }
  }

  private static int runProxy(ProxyConfig config, Path configFile) throws Exception {
    ProxyMetrics metrics = new ProxyMetrics();
    ProxyServer server;
    OperatorAccess operatorAccess;
    try {
      server = ProxyServer.start(config, metrics.calls(), metrics.transports(), true)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println(StartFailure.describe(e, configFile));
      return Cli.FAILED;
    }
    try {
      operatorAccess = OperatorAccess.start(server, metrics, configFile,
          ManagementFactory.getPlatformMBeanServer(), server.traces(), true);
    } catch (Exception e) {
      System.err.println(StartFailure.describe(e, configFile));
      server.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return Cli.FAILED;
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
    return Cli.OK;
  }
}
