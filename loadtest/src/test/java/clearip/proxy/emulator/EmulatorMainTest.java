package clearip.proxy.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmulatorMainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return EmulatorMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void rejectsUnknownArgumentsAndUnreadableFiles(@TempDir Path dir) {
    assertEquals(2, run("--bogus"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("Usage:"));
    assertEquals(2, run("--config", dir.resolve("missing.conf").toString()));
    assertEquals(0, run("--help"));
  }

  @Test
  void reportsConfigurationErrorsWithFileAndKey(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("bad.conf"),
        "clearip-emulator {\n  allow = [\"10.0.0.0/40\"]\n}\n");
    assertEquals(2, run("--config", f.toString()));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("bad.conf: 2") && e.contains("clearip-emulator.allow")
        && e.contains("prefix length must be 0..32"), e);
  }
}
