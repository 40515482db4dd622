package clearip.proxy.ops.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Closeable;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code run} on an address another process holds, in a JVM of its own with the shipped logging
 * configuration: exit code 3 and one line naming the address and the key to change; no stack
 * trace.
 */
class StartFailureTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"listen.udp", "listen.tcp", "admin.listen"})
  void aBusyPortIsOneLineNamingTheAddressAndTheKey(String key) throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    try (Closeable holder = key.equals("listen.udp")
        ? new DatagramSocket(new InetSocketAddress(lo, 0)) : new ServerSocket(0, 1, lo)) {
      int port = holder instanceof DatagramSocket d ? d.getLocalPort()
          : ((ServerSocket) holder).getLocalPort();
      int free;
      try (ServerSocket s = new ServerSocket(0, 1, lo)) {
        free = s.getLocalPort();
      }
      String busy = "\"127.0.0.1:" + port + "\"";
      Path conf = dir.resolve("proxy.conf");
      Files.writeString(conf, String.join("\n",
          "clearip-proxy {",
          "  listen.udp = [" + (key.equals("listen.udp") ? busy : "") + "]",
          "  listen.tcp = [" + (key.equals("listen.tcp") ? busy : "\"127.0.0.1:" + free + "\"")
              + "]",
          "  listen.tls = []",
          "  admin.listen = " + (key.equals("admin.listen") ? busy : "\"\""),
          "  upstream.uri = \"sip:127.0.0.1:1;transport=tcp\"",
          "  warmup.enabled = off",
          "}", ""));
      Path out = dir.resolve("out.txt");
      Process p = launch(out, "run", "--config", conf.toString());
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly(); // our own child
        throw new AssertionError("still running:\n" + Files.readString(out));
      }
      String output = Files.readString(out);
      assertEquals(3, p.exitValue(), output);
      List<String> about = output.lines().filter(l -> l.contains(":" + port)).toList();
      String listener = key.equals("admin.listen") ? "admin" : key.substring(7);
      assertEquals(List.of("clearip-proxy failed to start: cannot listen on " + listener
          + " 127.0.0.1:" + port + ": Address already in use (another process has this port); "
          + "change " + key + " in " + conf), about, output);
      assertTrue(output.lines().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception")),
          output);
    }
  }

  /** The launcher in a JVM of its own (our child) with the shipped logback.xml; output in out. */
  static Process launch(Path out, String... args) throws java.io.IOException {
    List<String> cmd = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx192m",
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dlogback.configurationFile=logback.xml",
        "-cp", System.getProperty("surefire.test.class.path",
            System.getProperty("java.class.path")), Main.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
  }
}
