package clearip.proxy.ops.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * What every command line of the product shares (clearip-proxy.jar and clearip-demo.jar): the
 * exit codes, one-line errors followed by the usage, and no stack trace for an operator.
 */
public final class Cli {
  private Cli() {}

  /** Done. */
  public static final int OK = 0;
  /** The configuration has problems (each printed), or an operation was refused. */
  public static final int CONFIG = 1;
  /** The command line is wrong: nothing was started. */
  public static final int USAGE = 2;
  /** Could not start, or could not reach the running proxy. */
  public static final int FAILED = 3;

  /** A failure the command has already put into words: printed as one line, no trace. */
  public static final class Failure extends RuntimeException {
    private final int exitCode;

    public Failure(int exitCode, String message) {
      super(message, null, false, false);
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  /**
   * Applies the shared settings to {@code cl} and every subcommand added so far (add them
   * first): output streams, error handling, case-insensitive enum values.
   */
  public static CommandLine configure(CommandLine cl, PrintWriter out, PrintWriter err) {
    return cl.setOut(out).setErr(err)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(Cli::badUsage)
        .setExecutionExceptionHandler((e, c, parsed) -> failed(e, c));
  }

  /** The version line, {@code clearip-proxy 1.2.3}, from the jar's manifest. */
  public static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {versionLine()};
    }
  }

  public static String versionLine() {
    String v = Cli.class.getPackage().getImplementationVersion();
    return "clearip-proxy " + (v == null ? "(development build)" : v);
  }

  private static int badUsage(ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println(cl.getCommandSpec().qualifiedName() + ": " + describe(e));
    cl.usage(err);
    err.flush();
    return USAGE;
  }

  /** Picocli's message, in the words an operator expects, with its suggestions on the line. */
  static String describe(ParameterException e) {
    if (!(e instanceof UnmatchedArgumentException u) || u.getUnmatched().isEmpty()) {
      return e.getMessage();
    }
    String arg = u.getUnmatched().get(0);
    String what;
    if (u.isUnknownOption()) {
      what = "unknown option '" + arg + "'";
    } else if (!e.getCommandLine().getSubcommands().isEmpty()) {
      what = "unknown command '" + arg + "'";
    } else {
      what = "unexpected argument '" + arg + "'";
    }
    List<String> suggestions = u.getSuggestions();
    return suggestions.isEmpty() ? what
        : what + " (did you mean " + String.join(" or ", suggestions) + "?)";
  }

  private static int failed(Exception e, CommandLine cl) {
    PrintWriter err = cl.getErr();
    String name = cl.getCommandSpec().qualifiedName();
    if (e instanceof Failure f) {
      err.println(name + ": " + f.getMessage());
      err.flush();
      return f.exitCode();
    }
    err.println(name + ": " + rootMessage(e));
    err.flush();
    return FAILED;
  }

  /** The innermost cause's message (or its class when it has none). */
  public static String rootMessage(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }
}
