package clearip.proxy.emulator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Runs the ClearIP emulator until SIGTERM or SIGINT: {@code EmulatorMain [--config FILE]}. Prints
 * the bound addresses once listening. Exit status 0 after a clean stop, 1 when it cannot start,
 * 2 for a usage or configuration error.
 */
public final class EmulatorMain {
  private static final long START_TIMEOUT_SECONDS = 30;

  private EmulatorMain() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Starts, waits for the actor system to terminate, returns the exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Optional<Path> file = Optional.empty();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        file = Optional.of(Path.of(args[++i]));
      } else if (args[i].equals("--help") || args[i].equals("-h")) {
        out.println(usage());
        return 0;
      } else {
        err.println("unknown argument '" + args[i] + "'\n" + usage());
        return 2;
      }
    }
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

  static String usage() {
    return "usage: clearip-emulator [--config FILE]\n"
        + "  --config FILE  HOCON file with a clearip-emulator { ... } section (and any pekko\n"
        + "                 settings); defaults come from the bundled reference.conf";
  }
}
