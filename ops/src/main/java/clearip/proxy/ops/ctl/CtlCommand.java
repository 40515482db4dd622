package clearip.proxy.ops.ctl;

import clearip.proxy.ops.cli.Cli;
import clearip.proxy.ops.jmx.ProxyMXBean;
import clearip.proxy.ops.jmx.UpstreamMXBean;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code clearip-proxy ctl}: the operations operators script, on a running proxy over JMX.
 * Exit codes: 0 done, 1 the proxy refused or did not finish (a rejected reload, a drain still
 * waiting), 2 wrong command line (nothing connected), 3 the proxy could not be reached or
 * refused the credentials.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
    description = {"Operate a running proxy over JMX: a remote connector (--jmx, as README's "
        + "Operations > JMX turns it on) or a local process (--pid, run as the proxy's user).",
        "The options may come before or after the command."},
    subcommands = {CtlCommand.Status.class, CtlCommand.Drain.class, CtlCommand.Reload.class,
        CtlCommand.SetUpstreamTransport.class, CtlCommand.SetUpstreamUri.class,
        CtlCommand.SetAccessAllow.class, CtlCommand.SetEmergencyNumbers.class,
        CtlCommand.ClusterStatus.class, CtlCommand.Trace.class},
    footer = {"", "The password is read from the file given by --password-file, else from the "
        + "environment variable " + CtlCommand.PASSWORD_ENV + ", else asked on the terminal; "
        + "never from the command line. With --tls, name the trust store in JAVA_OPTS "
        + "(-Djavax.net.ssl.trustStore=FILE -Djavax.net.ssl.trustStorePassword=...).",
        "", "Exit codes: 0 done, 1 refused or not finished by the proxy, 2 wrong command line "
        + "(nothing connected), 3 the proxy could not be reached or refused the credentials."})
public final class CtlCommand implements Callable<Integer> {
  static final String PASSWORD_ENV = "CLEARIP_JMX_PASSWORD";

  private final ProxyConnector connector;
  private final Function<String, String> environment;

  @Spec CommandSpec spec;

  @Option(names = "--jmx", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT",
      converter = JmxAddress.class,
      description = "The proxy's remote JMX port (com.sun.management.jmxremote.port), or a "
          + "service:jmx: URL.")
  String serviceUrl;

  @Option(names = "--pid", scope = ScopeType.INHERIT, paramLabel = "PID",
      description = "The proxy's process id on this host (e.g. systemctl show -p MainPID "
          + "--value clearip-proxy).")
  Long pid;

  @Option(names = "--user", scope = ScopeType.INHERIT, paramLabel = "NAME",
      description = "JMX user (jmxremote.password), e.g. operator.")
  String user;

  @Option(names = "--password-file", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "A file whose first line is the JMX password.")
  Path passwordFile;

  @Option(names = "--tls", scope = ScopeType.INHERIT,
      description = "The JMX registry and connection use TLS (jmxremote.ssl, "
          + "jmxremote.registry.ssl).")
  boolean tls;

  @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "SECONDS",
      defaultValue = "10", description = "How long connecting may take (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  CtlCommand(ProxyConnector connector, Function<String, String> environment) {
    this.connector = connector;
    this.environment = environment;
  }

  /** The {@code ctl} command with its subcommands. */
  public static CommandLine commandLine(ProxyConnector connector) {
    return commandLine(connector, System::getenv);
  }

  /** As above, reading the password variable from {@code environment}. */
  public static CommandLine commandLine(ProxyConnector connector,
      Function<String, String> environment) {
    return new CommandLine(new CtlCommand(connector, environment));
  }

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command");
  }

  /** Checks the options, then connects: a usage error here means nothing was contacted. */
  ProxyConnection connect(CommandSpec leaf) {
    CommandLine cl = leaf.commandLine();
    if ((serviceUrl == null) == (pid == null)) {
      throw new ParameterException(cl, serviceUrl == null
          ? "say which proxy: --jmx HOST:PORT or --pid PID"
          : "--jmx and --pid exclude each other");
    }
    if (timeoutSeconds < 1) throw new ParameterException(cl, "--timeout must be at least 1");
    if (user == null && passwordFile != null) {
      throw new ParameterException(cl, "--password-file needs --user");
    }
    if (pid != null && (user != null || tls)) {
      throw new ParameterException(cl, "--pid attaches locally: no --user, no --tls");
    }
    char[] password = user == null ? null : password(cl);
    return connector.connect(new Target(serviceUrl, pid, user, password, tls,
        Duration.ofSeconds(timeoutSeconds)));
  }

  private char[] password(CommandLine cl) {
    if (passwordFile != null) {
      try {
        String text = Files.readString(passwordFile, StandardCharsets.UTF_8);
        int eol = text.indexOf('\n');
        return (eol < 0 ? text : text.substring(0, eol)).strip().toCharArray();
      } catch (IOException e) {
        throw new ParameterException(cl, "cannot read the password file " + passwordFile);
      }
    }
    String fromEnv = environment.apply(PASSWORD_ENV);
    if (fromEnv != null) return fromEnv.toCharArray();
    Console console = System.console();
    if (console != null) {
      char[] typed = console.readPassword("JMX password for %s: ", user);
      if (typed != null) return typed;
    }
    throw new ParameterException(cl, "--user " + user + " needs a password: --password-file "
        + "FILE or the environment variable " + PASSWORD_ENV);
  }

  /** Runs one operation on the proxy; an argument it refuses exits 1, a lost connection 3. */
  <T> T ask(Supplier<T> operation) {
    try {
      return operation.get();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new Cli.Failure(Cli.CONFIG, "refused: " + e.getMessage());
    } catch (SecurityException e) {
      throw new Cli.Failure(Cli.FAILED, "not allowed: " + e.getMessage()
          + (user == null ? "" : " (is '" + user + "' readwrite in jmxremote.access?)"));
    } catch (UndeclaredThrowableException e) {
      throw new Cli.Failure(Cli.FAILED, "lost the connection: " + Cli.rootMessage(e));
    }
  }

  /** HOST:PORT to the URL of the JMX agent's registry; service:jmx: URLs pass as they are. */
  static final class JmxAddress implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      if (value.startsWith("service:jmx:")) return value;
      int colon = value.lastIndexOf(':');
      String host = colon <= 0 ? "" : value.substring(0, colon);
      int port;
      try {
        port = Integer.parseInt(value.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      boolean bracketed = host.startsWith("[") && host.endsWith("]");
      if (host.isEmpty() || port < 1 || port > 65535 || (host.contains(":") && !bracketed)) {
        throw new TypeConversionException("expected HOST:PORT (e.g. 10.0.0.5:9010, "
            + "[2001:db8::5]:9010) or a service:jmx: URL, was '" + value + "'");
      }
      return "service:jmx:rmi:///jndi/rmi://" + host + ":" + port + "/jmxrmi";
    }
  }

  /** The base of every operation: connect, act, print, close. */
  abstract static class Operation implements Callable<Integer> {
    @Spec CommandSpec spec;

    abstract CtlCommand ctl();

    abstract int run(ProxyConnection c, PrintWriter out);

    /** Checks this command's own arguments (throws ParameterException) before connecting. */
    void check() {}

    @Override
    public final Integer call() {
      check();
      CtlCommand ctl = ctl();
      try (ProxyConnection c = ctl.connect(spec)) {
        PrintWriter out = spec.commandLine().getOut();
        int code = run(c, out);
        out.flush();
        return code;
      }
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = {"One line per fact, key=value: mode, ready, not-ready-reason, draining, "
          + "calls-in-flight, calls-per-second, calls-received, upstream-uri, upstream-state, "
          + "upstream-address, upstream-last-error, upstream-queue-depth.",
          "e.g. ctl status --jmx 10.0.0.5:9010 | sed -n 's/^calls-in-flight=//p'"})
  static final class Status extends Operation {
    @ParentCommand CtlCommand parent;

    @Override
    CtlCommand ctl() {
      return parent;
    }

    @Override
    int run(ProxyConnection c, PrintWriter out) {
      ProxyMXBean p = c.proxy();
      UpstreamMXBean u = c.upstream();
      String notReady = parent.ask(() -> p.getNotReadyReason());
      line(out, "mode", parent.ask(() -> p.getMode()));
      line(out, "ready", notReady.isEmpty() ? "yes" : "no");
      line(out, "not-ready-reason", notReady);
      line(out, "draining", parent.ask(() -> p.isDraining()) ? "yes" : "no");
      line(out, "calls-in-flight", parent.ask(() -> p.getCallsInFlight()));
      line(out, "calls-awaiting-answer", parent.ask(() -> p.getCallsAwaitingAnswer()));
      line(out, "calls-per-second",
          String.format(Locale.ROOT, "%.1f", parent.ask(() -> p.getCallsPerSecond())));
      line(out, "calls-received", parent.ask(() -> p.getCallsReceived()));
      line(out, "upstream-uri", parent.ask(() -> p.getUpstreamUri()));
      line(out, "upstream-state", parent.ask(() -> u.getState()));
      line(out, "upstream-address", parent.ask(() -> u.getConnectedAddress()));
      line(out, "upstream-last-error", parent.ask(() -> u.getLastError()));
      line(out, "upstream-queue-depth", parent.ask(() -> u.getQueueDepth()));
      return Cli.OK;
    }

    private static void line(PrintWriter out, String key, Object value) {
      // one line per fact, whatever the value holds
      String v = value == null ? "" : value.toString().replace('\n', ' ').replace('\r', ' ');
      out.println(key + "=" + v);
    }
  }

  @Command(name = "drain", mixinStandardHelpOptions = true,
      description = {"From now on new INVITEs get 503 (the switch route-advances), /ready "
          + "answers 503; calls in flight get their answers. Not reversible: stop the proxy "
          + "afterwards (systemctl stop).",
          "With --wait: then wait until no call is in flight (exit 0), or SECONDS pass "
              + "(exit 1)."})
  static final class Drain extends Operation {
    @ParentCommand CtlCommand parent;

    @Option(names = "--wait", paramLabel = "SECONDS",
        description = "Wait up to SECONDS for the calls in flight to finish.")
    Integer waitSeconds;

    @Override
    CtlCommand ctl() {
      return parent;
    }

    @Override
    void check() {
      if (waitSeconds != null && waitSeconds < 1) {
        throw new ParameterException(spec.commandLine(), "--wait must be at least 1");
      }
    }

    @Override
    int run(ProxyConnection c, PrintWriter out) {
      String drained = parent.ask(() -> c.proxy().drain());
      out.println(drained);
      if (waitSeconds == null) return Cli.OK;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
      long waiting; // calls that only wait for the switch's ACK do not hold a drain up
      while ((waiting = parent.ask(() -> c.proxy().getCallsAwaitingAnswer())) > 0
          && System.nanoTime() < deadline) {
        try {
          TimeUnit.MILLISECONDS.sleep(200); // polling a remote counter: nothing to wait on
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      out.println("calls-awaiting-answer=" + waiting);
      return waiting == 0 ? Cli.OK : Cli.CONFIG;
    }
  }

  @Command(name = "reload", mixinStandardHelpOptions = true,
      description = "Re-read the configuration file the proxy was started with (as SIGHUP); "
          + "a file with any problem is rejected whole (exit 1) and the running configuration "
          + "stays.")
  static final class Reload extends Operation {
    @ParentCommand CtlCommand parent;

    @Override
    CtlCommand ctl() {
      return parent;
    }

    @Override
    int run(ProxyConnection c, PrintWriter out) {
      String result = parent.ask(() -> c.proxy().reloadConfiguration());
      out.println(result);
      return result.startsWith("rejected") ? Cli.CONFIG : Cli.OK;
    }
  }

  /** The transports ClearIP is reached by. */
  enum UpstreamTransport { TLS, TCP }

  @Command(name = "set-upstream-transport", mixinStandardHelpOptions = true,
      description = "Switch the ClearIP connection to TLS or TCP (the port follows when it "
          + "was the default, 5061 <-> 5060); calls in flight finish on the old connection. "
          + "Lasts until a restart, or a reload that finds another upstream.uri in the file.")
  static final class SetUpstreamTransport extends Operation {
    @ParentCommand CtlCommand parent;

    @Parameters(paramLabel = "tls|tcp", description = "tls or tcp.")
    UpstreamTransport transport;

    @Override
    CtlCommand ctl() {
      return parent;
    }

    @Override
    int run(ProxyConnection c, PrintWriter out) {
      String t = transport.name().toLowerCase(Locale.ROOT);
      String result = parent.ask(() -> c.proxy().setUpstreamTransport(t));
      out.println(result);
      return Cli.OK;
    }
  }

  @Command(name = "set-upstream-uri", mixinStandardHelpOptions = true,
      description = "Switch the ClearIP connection to another URI (e.g. "
          + "\"sip:sip2.clearip.com:5061;transport=tls\"); calls in flight finish on the old one.")
  static final class SetUpstreamUri extends Operation {
    @ParentCommand CtlCommand parent;

    @Parameters(paramLabel = "URI", description = "The ClearIP SIP URI.")
    String uri;

    @Override
    CtlCommand ctl() {
      return parent;
    }

    @Override
    int run(ProxyConnection c, PrintWriter out) {
      String result = parent.ask(() -> c.proxy().setUpstreamUri(uri));
      out.println(result);
      return Cli.OK;
    }
  }

  @Command(name = "set-access-allow", mixinStandardHelpOptions = true,
      description = "Replace the allow-list of sources (on every node of a fleet), e.g. "
          + "\"192.0.2.0/24,2001:db8::/32\"; every entry is checked, a bad one changes nothing.")
  static final class SetAccessAllow extends Operation {
    @ParentCommand CtlCommand parent;

    @Parameters(paramLabel = "CIDRS", description = "Comma-separated CIDRs.")
    String cidrs;

    @Override
    CtlCommand ctl() {
      return parent;
    }

    @Override
    int run(ProxyConnection c, PrintWriter out) {
      out.println(parent.ask(() -> c.proxy().setAccessAllow(cidrs)));
      return Cli.OK;
    }
  }

  @Command(name = "set-emergency-numbers", mixinStandardHelpOptions = true,
      description = "Replace the emergency numbers, answered 503 at once and never screened (on "
          + "every node of a fleet), e.g. \"911,933,112\".")
  static final class SetEmergencyNumbers extends Operation {
    @ParentCommand CtlCommand parent;

    @Parameters(paramLabel = "NUMBERS", description = "Comma-separated numbers.")
    String numbers;

    @Override
    CtlCommand ctl() {
      return parent;
    }

    @Override
    int run(ProxyConnection c, PrintWriter out) {
      out.println(parent.ask(() -> c.proxy().setEmergencyNumbers(numbers)));
      return Cli.OK;
    }
  }

  @Command(name = "cluster", mixinStandardHelpOptions = true,
      description = {"The fleet as this node sees it, key=value: self, leader, problem, "
          + "settings-version, then one member=, unreachable=, load= and setting= line each.",
          "Exit 1 when the proxy is not a node of a fleet (cluster.enabled = off)."})
  static final class ClusterStatus extends Operation {
    @ParentCommand CtlCommand parent;

    @Override
    CtlCommand ctl() {
      return parent;
    }

    @Override
    int run(ProxyConnection c, PrintWriter out) {
      clearip.proxy.ops.jmx.ClusterMXBean f = c.cluster();
      if (f == null) {
        spec.commandLine().getErr().println("this proxy is not a node of a fleet "
            + "(cluster.enabled = off)");
        return 1;
      }
      out.println("self=" + parent.ask(() -> f.getSelfAddress()));
      out.println("leader=" + parent.ask(() -> f.getLeader()));
      out.println("problem=" + parent.ask(() -> f.getProblem()));
      out.println("settings-version=" + parent.ask(() -> f.getSettingsVersion()));
      for (String m : parent.ask(() -> f.getMembers())) out.println("member=" + m);
      for (String m : parent.ask(() -> f.getUnreachable())) out.println("unreachable=" + m);
      for (String m : parent.ask(() -> f.getMemberLoad())) out.println("load=" + m);
      for (String m : parent.ask(() -> f.getSettings())) out.println("setting=" + m);
      return Cli.OK;
    }
  }

  @Command(name = "trace", mixinStandardHelpOptions = true,
      description = "Call traces to the proxy's trace.file (README: Call traces).",
      subcommands = {TraceStart.class, TraceStop.class})
  static final class Trace implements Callable<Integer> {
    @ParentCommand CtlCommand parent;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      throw new ParameterException(spec.commandLine(), "missing command: start or stop");
    }
  }

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = "Trace every SIP message for SECONDS, or until 'trace stop' (0, the "
          + "default); on a running trace, set its new end.")
  static final class TraceStart extends Operation {
    @ParentCommand Trace parent;

    @Parameters(paramLabel = "SECONDS", arity = "0..1", defaultValue = "0",
        description = "How long; 0 (default): until 'trace stop'.")
    int seconds;

    @Override
    CtlCommand ctl() {
      return parent.parent;
    }

    @Override
    void check() {
      if (seconds < 0) {
        throw new ParameterException(spec.commandLine(), "SECONDS must not be negative");
      }
    }

    @Override
    int run(ProxyConnection c, PrintWriter out) {
      String result = ctl().ask(() -> c.proxy().startTrace(seconds));
      out.println(result);
      return Cli.OK;
    }
  }

  @Command(name = "stop", mixinStandardHelpOptions = true,
      description = "End the running trace; returns once its file is complete.")
  static final class TraceStop extends Operation {
    @ParentCommand Trace parent;

    @Override
    CtlCommand ctl() {
      return parent.parent;
    }

    @Override
    int run(ProxyConnection c, PrintWriter out) {
      String result = ctl().ask(() -> c.proxy().stopTrace());
      out.println(result);
      return Cli.OK;
    }
  }
}
