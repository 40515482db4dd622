package clearip.proxy.emulator;

import clearip.proxy.ops.cli.Cli;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the ClearIP emulator until SIGTERM or SIGINT: {@code EmulatorMain [--config FILE]}, also
 * {@code clearip-demo emulator}. Prints the bound addresses once listening. Exit status 0 after
 * a clean stop, 1 when it cannot start, 2 for a usage or configuration error.
 */
@Command(name = "emulator", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
    description = "Run only the ClearIP emulator (a test double of ClearIP), until SIGTERM.",
    footer = {"", "Exit codes: 0 stopped cleanly, 1 could not start, 2 wrong command line or "
        + "bad configuration (nothing started)."})
public final class EmulatorMain implements Callable<Integer> {
  private static final long START_TIMEOUT_SECONDS = 30;

  /** Starts the emulator and runs it until it stops; the exit status. Tests pass a recorder. */
  @FunctionalInterface
  public interface Starter {
    int start(Optional<Path> file, PrintStream out, PrintStream err);
  }

  private final Starter starter;
  private final PrintStream out;
  private final PrintStream err;

  @Option(names = "--config", paramLabel = "FILE",
      description = {"HOCON file with a clearip-emulator { ... } section (and any pekko "
          + "settings); defaults come from the bundled reference.conf."})
  Path config;

  private EmulatorMain(Starter starter, PrintStream out, PrintStream err) {
    this.starter = starter;
    this.out = out;
    this.err = err;
  }

  /** The command (named {@code name}); {@code starter} runs the emulator. */
  public static CommandLine commandLine(String name, Starter starter, PrintStream out,
      PrintStream err) {
    return new CommandLine(new EmulatorMain(starter, out, err)).setCommandName(name);
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Parses {@code args}, starts, waits for the actor system to terminate; the exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return Cli.configure(commandLine("clearip-emulator", EmulatorMain::start, out, err),
        new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
  }

  @Override
  public Integer call() {
    return starter.start(Optional.ofNullable(config), out, err);
  }

  /** Starts, waits for the actor system to terminate, returns the exit status. */
  public static int start(Optional<Path> file, PrintStream out, PrintStream err) {
    if (file.isPresent() && !Files.isReadable(file.get())) {
      err.println("cannot read the configuration file " + file.get());
      return 2;
    }
    Config config;
    EmulatorSettings settings;
    try {
      config = EmulatorSettings.loadConfig(file);
      settings = EmulatorSettings.fromConfig(config.getConfig(EmulatorSettings.SECTION));
    } catch (ConfigException e) {
      err.println("configuration error: " + e.getMessage());
      return 2;
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "clearip-emulator", config);
    ClearIpEmulator emulator;
    try {
      emulator = ClearIpEmulator.start(system, settings).toCompletableFuture()
          .get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      err.println("clearip-emulator could not start: " + cause);
      system.terminate();
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      system.terminate();
      return 1;
    }
    // SIGTERM/SIGINT run coordinated shutdown (JVM shutdown hook): unbind before terminating
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(),
        "clearip-emulator-unbind",
        () -> emulator.stop().thenApply(d -> Done.getInstance()));
    out.print("clearip-emulator listening:\n" + emulator.describeBound());
    out.flush();
    system.getWhenTerminated().toCompletableFuture().handle((t, e) -> null).join();
    return 0;
  }
}
