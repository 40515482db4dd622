package clearip.proxy.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The clearip-demo command line: nothing starts unless it is right. */
class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final List<String> started = new ArrayList<>();

  private int run(String... args) {
    return Main.commandLine((calls, port) -> {
      started.add("demo " + calls + " " + port);
      return 0;
    }, (file, o, e) -> {
      started.add("emulator " + file.map(Path::toString).orElse("-"));
      return 0;
    }, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)).execute(args);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "frobnicate", "--calls 1", "demo --calls", "demo --calls x",
      "demo --calls -1", "demo --port 70000", "demo --port x", "demo --cals 1", "demo extra",
      "emulator --config", "emulator --confg x", "emulator a.conf"})
  void refusesAWrongCommandLineAndStartsNothing(String line) {
    String[] args = line.isEmpty() ? new String[0] : line.split(" ");
    assertEquals(2, run(args), err());
    assertEquals(List.of(), started);
    String[] lines = err().split("\\R");
    assertTrue(lines[0].startsWith("clearip-demo"), err());
    assertTrue(lines[1].startsWith("Usage: clearip-demo"), err());
  }

  @Test
  void aBadNumberIsOneLineNotAStackTrace() {
    assertEquals(2, run("demo", "--calls", "x"));
    assertTrue(err().startsWith("clearip-demo demo: Invalid value for option '--calls': 'x' is "
        + "not an int"), err());
    assertTrue(!err().contains("Exception"), err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--help", "-h", "demo --help", "demo -h", "demo --calls 1 --help",
      "emulator --help", "emulator -h", "help demo"})
  void helpIsPrintedAndNothingStarts(String line) {
    assertEquals(0, run(line.split(" ")), err());
    assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("Usage: clearip-demo"),
        out.toString(StandardCharsets.UTF_8));
    assertEquals(List.of(), started);
  }

  @Test
  void startsWhatIsAsked() {
    assertEquals(0, run("demo"));
    assertEquals(0, run("demo", "--calls", "2", "--port", "0"));
    assertEquals(0, run("emulator"));
    assertEquals(0, run("emulator", "--config", "emu.conf"));
    assertEquals(List.of("demo 0 5060", "demo 2 0", "emulator -", "emulator emu.conf"),
        started);
  }

  @Test
  void printsTheVersion() {
    assertEquals(0, run("--version"));
    assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("clearip-proxy "));
  }
}
