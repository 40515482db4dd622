package clearip.proxy.ops.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingPcapFileTest {
  @TempDir Path dir;

  static byte[] record(int size) {
    byte[] r = new byte[size];
    Arrays.fill(r, (byte) 'r');
    return r;
  }

  @Test
  void rotatedNamesKeepTheExtension() {
    assertEquals(Path.of("t", "trace.3.pcap"),
        RotatingPcapFile.rotated(Path.of("t", "trace.pcap"), 3));
    assertEquals(Path.of("trace.1"), RotatingPcapFile.rotated(Path.of("trace"), 1));
  }

  @Test
  void rotatesBySizeAndKeepsAtMostTheCount() throws Exception {
    Path f = dir.resolve("sub").resolve("trace.pcap");
    try (RotatingPcapFile p = new RotatingPcapFile(f, 24 + 100, 3)) {
      p.open();
      for (int i = 0; i < 10; i++) p.write(record(60)); // one record per file
    }
    assertTrue(Files.exists(f));
    assertTrue(Files.exists(dir.resolve("sub/trace.1.pcap")));
    assertTrue(Files.exists(dir.resolve("sub/trace.2.pcap")));
    assertFalse(Files.exists(dir.resolve("sub/trace.3.pcap")));
    for (String n : new String[] {"trace.pcap", "trace.1.pcap", "trace.2.pcap"}) {
      byte[] b = Files.readAllBytes(dir.resolve("sub").resolve(n));
      assertEquals(24 + 60, b.length, n);
      assertArrayEquals(PcapRecords.fileHeader(), Arrays.copyOf(b, 24), n);
    }
  }

  @Test
  void aNewTraceKeepsThePreviousFile() throws Exception {
    Path f = dir.resolve("trace.pcap");
    try (RotatingPcapFile p = new RotatingPcapFile(f, 1 << 20, 5)) {
      p.open();
      p.write(record(10));
    }
    try (RotatingPcapFile p = new RotatingPcapFile(f, 1 << 20, 5)) {
      p.open();
    }
    assertEquals(24, Files.size(f));
    assertEquals(34, Files.size(dir.resolve("trace.1.pcap")));
  }

  @Test
  void aRecordLargerThanTheLimitStillGetsWritten() throws Exception {
    Path f = dir.resolve("trace.pcap");
    try (RotatingPcapFile p = new RotatingPcapFile(f, 50, 1)) {
      p.open();
      p.write(record(100));
    }
    assertEquals(124, Files.size(f));
  }
}
