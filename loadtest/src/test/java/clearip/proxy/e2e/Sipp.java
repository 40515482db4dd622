package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real SIPp (Debian package sip-tester) against a proxy on loopback, bounded in calls
 * and time, and reads back how many calls passed. Tests using it skip, with the reason, where
 * sipp is not installed.
 */
final class Sipp {
  static final Path SCENARIOS = Path.of("sipp").toAbsolutePath(); // loadtest/sipp

  /** What a run produced. */
  record Result(int exitCode, long successful, long failed, String output) {
    @Override
    public String toString() {
      return "sipp exit " + exitCode + ", " + successful + " successful, " + failed + " failed\n"
          + output;
    }
  }

  static void assumeInstalled() {
    assumeTrue(which("sipp") != null,
        "sipp is not installed (apt-get install -y sip-tester); skipping SIPp end-to-end test");
  }

  static String which(String binary) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(dir, binary);
      if (f.canExecute()) return f.getPath();
    }
    return null;
  }

  /** A free loopback port for SIPp to bind (UDP and TCP). */
  static int freePort() throws IOException {
    for (int i = 0; i < 20; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        int p = s.getLocalPort();
        try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(
            InetAddress.getLoopbackAddress(), p))) {
          return p;
        } catch (IOException busy) {
          // UDP side taken: try another
        }
      }
    }
    throw new IOException("no free loopback port");
  }

  /**
   * A loopback port for a SIPp UDP server whose TCP side is bound but not listening while the
   * returned socket is open: every TCP connect to it is refused at once, and no other socket
   * (nor a connect that picks it as its own source port) can take it.
   */
  static Socket udpOnlyPort() throws IOException {
    for (int i = 0; i < 20; i++) {
      Socket s = new Socket();
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(
          InetAddress.getLoopbackAddress(), s.getLocalPort()))) {
        return s;
      } catch (IOException busy) {
        s.close();
      }
    }
    throw new IOException("no loopback port free on both UDP and TCP");
  }

  /**
   * Runs one scenario: {@code calls} calls at {@code rate} per second, transport "u1" or "t1",
   * towards target (loopback), with extra SIPp options.
   */
  static Result run(Path workDir, String scenario, String number, InetSocketAddress target,
      String transport, int calls, int rate, Duration timeout, String... extra)
      throws IOException, InterruptedException {
    String host = target.getAddress().getHostAddress();
    if (!target.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException("SIPp tests target loopback only, not " + host);
    }
    Files.createDirectories(workDir);
    Path stat = workDir.resolve(scenario + "-stat.csv");
    List<String> cmd = new ArrayList<>(List.of(which("sipp"),
        host + ":" + target.getPort(),
        "-sf", SCENARIOS.resolve(scenario + ".xml").toString(),
        "-s", number,
        "-i", "127.0.0.1",
        "-p", Integer.toString(freePort()),
        "-t", transport,
        "-m", Integer.toString(calls),
        "-r", Integer.toString(rate),
        "-l", Integer.toString(Math.max(10, rate * 4)),
        "-timeout", (timeout.toSeconds() + 1) + "s",
        "-timeout_error",
        "-recv_timeout", "6000",
        "-nostdin",
        "-trace_stat", "-stf", stat.toString(), "-fd", "1",
        "-trace_err", "-error_file", workDir.resolve(scenario + "-err.log").toString()));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
        .redirectOutput(workDir.resolve(scenario + ".out").toFile()).start();
    if (!p.waitFor(timeout.toSeconds() + 15, TimeUnit.SECONDS)) {
      p.destroyForcibly(); // our own child, by its handle
      p.waitFor(5, TimeUnit.SECONDS);
    }
    String out = Files.readString(workDir.resolve(scenario + ".out"));
    long ok = -1;
    long failed = -1;
    if (Files.exists(stat)) {
      List<String> lines = Files.readAllLines(stat);
      if (lines.size() >= 2) {
        String[] head = lines.get(0).split(";");
        String[] last = lines.get(lines.size() - 1).split(";");
        for (int i = 0; i < head.length && i < last.length; i++) {
          if (head[i].equals("SuccessfulCall(C)")) ok = Long.parseLong(last[i].trim());
          if (head[i].equals("FailedCall(C)")) failed = Long.parseLong(last[i].trim());
        }
      }
    }
    String errors = Files.exists(workDir.resolve(scenario + "-err.log"))
        ? tail(Files.readString(workDir.resolve(scenario + "-err.log")), 3000) : "";
    return new Result(p.exitValue(), ok, failed, tail(out, 2000) + "\n" + errors);
  }

  /** A SIPp process running in the background (e.g. a destination UAS). */
  static final class Running {
    final Process process;
    final Path workDir;
    final String name;
    final Path log;
    final int port;

    Running(Process process, Path workDir, String name, Path log, int port) {
      this.process = process;
      this.workDir = workDir;
      this.name = name;
      this.log = log;
      this.port = port;
    }

    /** Waits for it to end (it stops by itself after its calls or its timeout). */
    Result await(Duration timeout) throws IOException, InterruptedException {
      if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly(); // our own child, by its handle
        process.waitFor(5, TimeUnit.SECONDS);
      }
      String out = Files.readString(workDir.resolve(name + ".out"));
      Path err = workDir.resolve(name + "-err.log");
      String errors = Files.exists(err) ? tail(Files.readString(err), 3000) : "";
      return new Result(process.exitValue(), -1, -1, tail(out, 1500) + "\n" + errors);
    }

    /** Lines the scenario logged with its log action. */
    List<String> logLines() throws IOException {
      return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }
  }

  /** Starts a UAS scenario on 127.0.0.1:port taking {@code calls} calls, stopping after timeout. */
  static Running startServer(Path workDir, String scenario, String name, int port, int calls,
      Duration timeout) throws IOException {
    return startServer(workDir, scenario, name, port, calls, timeout, "u1");
  }

  /** As above, listening on one transport only: "u1" (UDP) or "t1" (TCP). */
  static Running startServer(Path workDir, String scenario, String name, int port, int calls,
      Duration timeout, String transport) throws IOException {
    Files.createDirectories(workDir);
    Path log = workDir.resolve(name + "-log.txt");
    List<String> cmd = List.of(which("sipp"),
        "-sf", SCENARIOS.resolve(scenario + ".xml").toString(),
        "-i", "127.0.0.1", "-p", Integer.toString(port), "-t", transport,
        "-m", Integer.toString(calls),
        "-timeout", timeout.toSeconds() + "s", "-timeout_error",
        "-nostdin",
        "-trace_logs", "-log_file", log.toString(),
        "-trace_err", "-error_file", workDir.resolve(name + "-err.log").toString());
    Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
        .redirectOutput(workDir.resolve(name + ".out").toFile()).start();
    return new Running(p, workDir, name, log, port);
  }

  private static String tail(String s, int n) {
    return s.length() <= n ? s : s.substring(s.length() - n);
  }
}
