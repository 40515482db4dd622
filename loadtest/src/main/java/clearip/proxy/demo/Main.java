package clearip.proxy.demo;

import clearip.proxy.emulator.EmulatorMain;
import clearip.proxy.ops.cli.Cli;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code clearip-demo} command: {@code demo} and {@code emulator}. A jar of its own, built
 * by the loadtest module, so the production jar carries neither the ClearIP emulator nor the
 * certificate tooling it needs. Exit codes as {@code clearip-proxy}'s: 0 success, 1 failed
 * calls or bad configuration, 2 usage (nothing started), 3 start-up failure.
 */
@Command(name = "clearip-demo", mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    description = {"The proxy with the bundled ClearIP emulator, for a first look and for tests.",
        "(The proxy itself, for production: clearip-proxy.jar run | check-config | ctl.)"})
public final class Main implements Callable<Integer> {
  /** Runs the demo; the exit code. Tests pass a recorder. */
  @FunctionalInterface
  interface DemoRunner {
    int run(int calls, int port) throws Exception;
  }

  @Spec CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine((calls, port) -> Demo.run(calls, port, System.out),
        EmulatorMain::start, System.out, System.err).execute(args));
  }

  /** The command tree; {@code demo} and {@code emulator} do the work. */
  static CommandLine commandLine(DemoRunner demo, EmulatorMain.Starter emulator,
      PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new Main())
        .addSubcommand("demo", new DemoCommand(demo))
        .addSubcommand("emulator", EmulatorMain.commandLine("emulator", emulator, out, err))
        .addSubcommand("help", new CommandLine.HelpCommand());
    return Cli.configure(cl, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command");
  }

  @Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
      description = {"Run the proxy (UDP/TCP 127.0.0.1:PORT, TLS PORT+1) with the bundled "
          + "ClearIP emulator on loopback, joined by a verified TLS connection, until Ctrl-C.",
          "With --calls: place N rounds of sample calls, print each outcome and exit (1 when "
              + "a call got no final answer)."})
  static final class DemoCommand implements Callable<Integer> {
    private final DemoRunner runner;
    @Spec CommandSpec spec;

    @Option(names = "--calls", paramLabel = "N", defaultValue = "0",
        description = "Rounds of sample calls to place, then exit (default: none, run).")
    int calls;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "5060",
        description = "The proxy's SIP port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0: any).")
    int port;

    DemoCommand(DemoRunner runner) {
      this.runner = runner;
    }

    @Override
    public Integer call() throws Exception {
      if (calls < 0) throw new ParameterException(spec.commandLine(), "--calls must be 0 or more");
      if (port < 0 || port > 65534) {
        throw new ParameterException(spec.commandLine(), "--port must be 0..65534 (TLS takes "
            + "the next one)");
      }
      return runner.run(calls, port);
    }
  }
}
