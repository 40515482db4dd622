package clearip.proxy.ops.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.streams.tls.TestPki;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code run} logs from start to "taking calls", in a JVM of its own with the shipped
 * logging configuration: each fact once (the TLS certificate, where it listens), nothing from
 * the warm-up's private copy, durations as operators write them.
 */
class StartupLinesTest {
  @TempDir Path dir;

  @Test
  void eachStartUpFactIsLoggedOnce() throws Exception {
    TestPki.Leaf leaf = TestPki.selfSigned(dir.resolve("pki"), "proxy",
        TestPki.KeyType.RSA_2048, "localhost");
    int sip = freePort();
    int tls = freePort();
    Path conf = dir.resolve("proxy.conf");
    Files.writeString(conf, String.join("\n",
        "clearip-proxy {",
        "  listen { udp = [\"127.0.0.1:" + sip + "\"], tcp = [\"127.0.0.1:" + sip + "\"],",
        "    tls = [\"127.0.0.1:" + tls + "\"]",
        "    tls-certificate = \"" + leaf.chain() + "\"",
        "    tls-private-key = \"" + leaf.privateKey() + "\" }",
        "  upstream.uri = \"sip:127.0.0.1:1;transport=tls\"",
        "  admin.listen = \"\"",
        "  warmup { min-time = 500ms, max-time = 4s }",
        "}", ""));
    Path out = dir.resolve("out.txt");
    Process p = StartFailureTest.launch(out, "run", "--config", conf.toString());
    String log;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!(log = Files.readString(out)).contains("); taking calls")) {
        assertTrue(p.isAlive(), "exited:\n" + log);
        assertTrue(System.nanoTime() < deadline, "never took calls:\n" + log);
        p.waitFor(200, TimeUnit.MILLISECONDS); // polls the log; returns early if it exits
      }
    } finally {
      p.destroy(); // our own child: SIGTERM
      if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
    }
    List<String> info = log.lines().filter(l -> l.contains(" INFO "))
        .map(l -> l.substring(l.indexOf(" INFO ")))
        .takeWhile(l -> !l.contains("); taking calls")).toList();
    Set<String> seen = new HashSet<>();
    for (String l : info) assertTrue(seen.add(l), "logged twice: " + l + "\n" + log);
    assertEquals(1, count(log, "TLS listener certificate from " + leaf.chain()), log);
    assertEquals(1, count(log, "listening on udp /127.0.0.1:" + sip + " tcp /127.0.0.1:" + sip
        + " tls /127.0.0.1:" + tls + "; ClearIP at sip:127.0.0.1:1;transport=tls"), log);
    // the warm-up's copy talks to a ClearIP of its own on another loopback port: never shown
    assertEquals(0, count(log, "connected to ClearIP"), log);
    assertEquals(0, count(log, "Listening for SIP"), log);
    assertTrue(log.contains("Warming up before taking calls (at least 500ms, at most 4s)"), log);
    assertTrue(!java.util.regex.Pattern.compile("\\bPT[0-9]").matcher(log).find(),
        "a java.time.Duration as it prints itself:\n" + log);
    assertTrue(java.util.regex.Pattern.compile("Warmed up in [0-9.]+m?s \\(").matcher(log).find(),
        log);
  }

  static long count(String log, String what) {
    return log.lines().filter(l -> l.contains(what)).count();
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
