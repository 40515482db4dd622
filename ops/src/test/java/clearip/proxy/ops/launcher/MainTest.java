package clearip.proxy.ops.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.ctl.ProxyConnector;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The clearip-proxy command line: what starts the proxy and what only explains itself. */
class MainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  /** The configurations the proxy was started with; none unless the command line is right. */
  private final List<ProxyConfig> started = new ArrayList<>();
  private final List<Path> startedFiles = new ArrayList<>();
  private final ProxyConnector noConnection = target -> {
    throw new AssertionError("connected to " + target);
  };

  private int run(String... args) {
    return Main.commandLine((config, file) -> {
      started.add(config);
      startedFiles.add(file);
      return 0;
    }, noConnection, new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
  }

  /** Each wrong command line: exit 2, one line saying what is wrong, the usage, nothing run. */
  @ParameterizedTest
  @ValueSource(strings = {"", "frobnicate", "--frobnicate", "run --config", "run --confg x",
      "run extra", "run --config a --config b", "run -D", "check-config",
      "check-config a b", "check-config --bogus a", "version extra", "help frobnicate"})
  void refusesAWrongCommandLineAndStartsNothing(String line) {
    String[] args = line.isEmpty() ? new String[0] : line.split(" ");
    assertEquals(2, run(args), err.toString());
    assertEquals(List.of(), started);
    String[] lines = err.toString().split("\\R");
    assertTrue(lines[0].startsWith("clearip-proxy"), err.toString());
    assertTrue(lines[1].startsWith("Usage: clearip-proxy"), err.toString());
    assertEquals("", out.toString());
  }

  @Test
  void namesTheUnknownOptionAndSuggestsTheRightOne() {
    assertEquals(2, run("run", "--confg", "x"));
    assertTrue(err.toString().startsWith(
        "clearip-proxy run: unknown option '--confg' (did you mean --config?)"), err.toString());
  }

  @Test
  void namesTheUnknownCommand() {
    assertEquals(2, run("frobnicate"));
    assertTrue(err.toString().startsWith("clearip-proxy: unknown command 'frobnicate'"),
        err.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--help", "-h", "help", "help run", "run --help", "run -h",
      "run --config x --help", "check-config --help", "version --help", "ctl --help",
      "ctl status --help", "ctl trace start --help", "help ctl"})
  void helpIsPrintedAndNothingStarts(String line) {
    assertEquals(0, run(line.split(" ")), err.toString());
    assertTrue(out.toString().startsWith("Usage: clearip-proxy"), out.toString());
    assertEquals(List.of(), started);
    assertEquals("", err.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--version", "-V", "version", "run --version"})
  void printsTheVersion(String line) {
    assertEquals(0, run(line.split(" ")));
    assertTrue(out.toString().startsWith("clearip-proxy "), out.toString());
    assertEquals(List.of(), started);
  }

  @Test
  void runWithoutConfigStartsOnTheDefaults() {
    assertEquals(0, run("run"));
    assertEquals(1, started.size());
    assertNull(startedFiles.get(0));
  }

  @Test
  void runWithConfigStartsOnTheFile(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("p.conf"),
        "clearip-proxy.upstream.timeout = 1500ms\n");
    assertEquals(0, run("run", "--config=" + file));
    assertEquals(Duration.ofMillis(1500), started.get(0).calls().upstreamTimeout());
    assertEquals(file, startedFiles.get(0));
  }

  @Test
  void runWithAMissingOrBadFileExitsOneAndStartsNothing(@TempDir Path dir) throws Exception {
    assertEquals(1, run("run", "--config", dir.resolve("missing.conf").toString()));
    assertTrue(err.toString().contains("cannot read the file"), err.toString());
    Path bad = Files.writeString(dir.resolve("bad.conf"), "clearip-proxy.upstream.timout = 1s\n");
    assertEquals(1, run("run", "--config", bad.toString()));
    assertTrue(err.toString().contains("unknown key clearip-proxy.upstream.timout"),
        err.toString());
    assertEquals(List.of(), started);
  }

  @Test
  void systemPropertiesAfterTheCommandWinOverTheFile(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("p.conf"),
        "clearip-proxy.upstream.timeout = 1500ms\n");
    String key = "clearip-proxy.upstream.timeout";
    try {
      assertEquals(0, run("run", "--config", file.toString(), "-D" + key + "=700ms"));
      assertEquals(Duration.ofMillis(700), started.get(0).calls().upstreamTimeout());
      assertEquals(1, run("check-config", file.toString(), "-D" + key + "=banana"));
      assertTrue(err.toString().contains(key), err.toString());
    } finally {
      System.clearProperty(key);
      com.typesafe.config.ConfigFactory.invalidateCaches();
    }
  }

  @Test
  void checkConfigSaysOkOrListsTheProblems(@TempDir Path dir) throws Exception {
    Path good = Files.writeString(dir.resolve("good.conf"), "clearip-proxy.mode = inline\n");
    assertEquals(0, run("check-config", good.toString()));
    assertTrue(out.toString().contains("OK (inline mode"), out.toString());
    Path bad = Files.writeString(dir.resolve("bad.conf"),
        "clearip-proxy.access.allow = [\"10.0.0.0/33\"]\n");
    assertEquals(1, run("check-config", bad.toString()));
    assertTrue(err.toString().contains("1 problem(s)"), err.toString());
    assertEquals(List.of(), started);
  }

  @Test
  void demoAndEmulatorSayWhereTheyAre() {
    assertEquals(2, run("demo", "--help"));
    assertTrue(err.toString().contains("clearip-demo.jar"), err.toString());
    assertEquals(2, run("emulator"));
    assertEquals(List.of(), started);
  }
}
