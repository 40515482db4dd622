package clearip.proxy.ops.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import clearip.proxy.ops.config.ProxyConfig;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** install.sh into a temporary DESTDIR, twice, and the unit it writes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InstallScriptTest {
  static final Path DIST = Path.of("src", "dist").toAbsolutePath();

  Path work;
  Path root;
  Path unit;
  Path conf;

  record Run(int exit, String output) {}

  static Run run(Path dir, List<String> cmd, String destdir) throws Exception {
    return run(dir, cmd, destdir, 60);
  }

  static Run run(Path dir, List<String> cmd, String destdir, int timeoutSeconds)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    if (destdir != null) pb.environment().put("DESTDIR", destdir);
    Path out = Files.createTempFile(dir, "out", ".txt");
    Process p = pb.redirectOutput(out.toFile()).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly(); // our own child
      throw new AssertionError(cmd + " did not finish");
    }
    return new Run(p.exitValue(), Files.readString(out));
  }

  @BeforeAll
  void install() throws Exception {
    work = Files.createTempDirectory("install-test");
    root = work.resolve("root");
    Path jar = work.resolve("clearip-proxy.jar");
    Files.writeString(jar, "not really a jar");
    Run r = run(work, List.of("sh", DIST.resolve("install.sh").toString(), "--jar",
        jar.toString()), root.toString());
    assertEquals(0, r.exit(), r.output());
    unit = root.resolve("etc/systemd/system/clearip-proxy.service");
    conf = root.resolve("etc/clearip-proxy/clearip-proxy.conf");
  }

  @Test
  void installsJarConfigurationUnitAndTraceDirectory() throws Exception {
    assertEquals("not really a jar",
        Files.readString(root.resolve("opt/clearip-proxy/lib/clearip-proxy.jar")));
    assertTrue(Files.isDirectory(root.resolve("var/lib/clearip-proxy/traces")));
    String u = Files.readString(unit);
    assertTrue(!u.matches("(?s).*@[A-Z]+@.*"), "every placeholder filled:\n" + u);
    assertTrue(u.contains("User=clearip-proxy"), u);
    assertTrue(u.contains("-jar /opt/clearip-proxy/lib/clearip-proxy.jar run --config "
        + "/etc/clearip-proxy/clearip-proxy.conf"), u);
    assertTrue(u.contains("AmbientCapabilities=CAP_NET_BIND_SERVICE"), u);
    assertTrue(u.contains("ExecReload=/bin/kill -HUP $MAINPID"), u);
    assertTrue(u.contains("WantedBy=multi-user.target"), u);
    assertTrue(u.contains("\nWorkingDirectory=/var/lib/clearip-proxy\n"), u);
    // the starter configuration is valid as shipped, and traces where the unit lets it write
    ProxyConfig c = ProxyConfig.load(conf);
    assertEquals(ProxyConfig.Mode.TLS_PROXY, c.mode());
    assertEquals(Path.of("/var/lib/clearip-proxy/traces/clearip-proxy.pcap"), c.trace().file());
    assertTrue(u.contains("\nReadWritePaths=-/var/lib/clearip-proxy/traces\n"), u);
  }

  @Test
  void statedirMovesTheWorkingDirectoryAndTheTraces() throws Exception {
    Path other = work.resolve("root-statedir");
    Run r = run(work, List.of("sh", DIST.resolve("install.sh").toString(), "--jar",
        work.resolve("clearip-proxy.jar").toString(), "--statedir", "/srv/cip-state"),
        other.toString());
    assertEquals(0, r.exit(), r.output());
    String u = Files.readString(other.resolve("etc/systemd/system/clearip-proxy.service"));
    assertTrue(u.contains("\nWorkingDirectory=/srv/cip-state\n"), u);
    assertTrue(u.contains("\nReadWritePaths=-/srv/cip-state/traces\n"), u);
    ProxyConfig c = ProxyConfig.load(other.resolve("etc/clearip-proxy/clearip-proxy.conf"));
    assertEquals(Path.of("/srv/cip-state/traces/clearip-proxy.pcap"), c.trace().file());
  }

  @Test
  void secondRunKeepsTheOperatorsConfiguration() throws Exception {
    String edited = Files.readString(conf) + "\n# edited by the operator\n";
    Files.writeString(conf, edited);
    Path jar = work.resolve("clearip-proxy-2.jar");
    Files.writeString(jar, "version 2");
    Run r = run(work, List.of("sh", DIST.resolve("install.sh").toString(), "--jar",
        jar.toString()), root.toString());
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("kept"), r.output());
    assertEquals(edited, Files.readString(conf));
    assertEquals("version 2",
        Files.readString(root.resolve("opt/clearip-proxy/lib/clearip-proxy.jar")));
  }

  @Test
  void prefixMovesTheJarAndTheUnitFollows() throws Exception {
    Path other = work.resolve("root-prefix");
    Path jar = work.resolve("clearip-proxy.jar");
    Run r = run(work, List.of("sh", DIST.resolve("install.sh").toString(), "--jar",
        jar.toString(), "--prefix", "/srv/cip"), other.toString());
    assertEquals(0, r.exit(), r.output());
    assertTrue(Files.exists(other.resolve("srv/cip/lib/clearip-proxy.jar")));
    assertTrue(Files.readString(other.resolve("etc/systemd/system/clearip-proxy.service"))
        .contains("-jar /srv/cip/lib/clearip-proxy.jar"));
  }

  @Test
  void systemdAcceptsTheUnit() throws Exception {
    String analyze = which("systemd-analyze");
    assumeTrue(analyze != null, "systemd-analyze is not installed; skipping unit verification");
    Run r = run(work, List.of(analyze, "verify", unit.toString()), null);
    assumeTrue(!r.output().contains("Failed to initialize manager")
        && !r.output().contains("Failed to set up the root directory"),
        "systemd-analyze cannot run in this environment: " + r.output());
    assertEquals(0, r.exit(), r.output());
    assertTrue(!r.output().contains("clearip-proxy.service:"), r.output());
  }

  static String which(String binary) throws IOException {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(dir, binary);
      if (f.canExecute()) return f.getPath();
    }
    return null;
  }
}
