package clearip.proxy.demo;

import clearip.proxy.emulator.EmulatorMain;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code clearip-demo} command: {@code demo} and {@code emulator}. A jar of its own, built
 * by the loadtest module, so the production jar carries neither the ClearIP emulator nor the
 * certificate tooling it needs. Exit codes as {@code clearip-proxy}'s: 0 success, 1 failed
 * calls or bad configuration, 2 usage, 3 start-up failure.
 */
public final class Main {
  private Main() {}

  static final String USAGE = String.join("\n",
      "usage: clearip-demo <command> [options]",
      "  demo [--calls N] [--port P] run the proxy with the bundled ClearIP emulator on loopback",
      "  emulator [--config FILE]    run only the ClearIP emulator",
      "(the proxy itself, for production: clearip-proxy.jar run | check-config | version)");

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
      case "demo":
        return Demo.run(rest);
      case "emulator":
        return EmulatorMain.run(rest.toArray(new String[0]), System.out, System.err);
      default:
        System.err.println("unknown command '" + args[0] + "'\n" + USAGE);
        return 2;
    }
  }

  static String option(List<String> args, String name) {
    int i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : null;
  }
}
