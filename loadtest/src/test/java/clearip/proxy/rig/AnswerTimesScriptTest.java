package clearip.proxy.rig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code loadtest/rig/answer_times.py}: the per-call timing phases.sh prints with CAPTURE=1. */
class AnswerTimesScriptTest {
  private static final Path SCRIPT = Path.of("rig", "answer_times.py");

  @TempDir Path dir;

  /** A classic little-endian pcap of IPv4/UDP datagrams over Ethernet, as dumpcap -P writes. */
  private static final class Pcap {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Pcap() {
      ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
      h.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
          .putInt(65535).putInt(1);
      out.writeBytes(h.array());
    }

    Pcap udp(long micros, int srcPort, int dstPort, String sip) {
      byte[] payload = sip.getBytes(StandardCharsets.US_ASCII);
      int ipLen = 20 + 8 + payload.length;
      ByteBuffer p = ByteBuffer.allocate(14 + ipLen);
      p.put(new byte[12]).putShort((short) 0x0800); // Ethernet, zero MACs as on loopback
      p.put((byte) 0x45).put((byte) 0).putShort((short) ipLen).putInt(0)
          .put((byte) 64).put((byte) 17).putShort((short) 0)
          .put(new byte[] {127, 0, 0, 1}).put(new byte[] {127, 0, 0, 1});
      p.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + payload.length))
          .putShort((short) 0).put(payload);
      ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
      r.putInt((int) (micros / 1_000_000)).putInt((int) (micros % 1_000_000))
          .putInt(p.capacity()).putInt(p.capacity());
      out.writeBytes(r.array());
      out.writeBytes(p.array());
      return this;
    }
  }

  private static String invite(String callId) {
    return "INVITE sip:5125550100@127.0.0.1:5060 SIP/2.0\r\nCall-ID: " + callId
        + "\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  }

  private static String response(int status, String callId, String method) {
    return "SIP/2.0 " + status + " X\r\nCall-ID: " + callId + "\r\nCSeq: 1 " + method
        + "\r\nContent-Length: 0\r\n\r\n";
  }

  private String run(Pcap pcap) throws IOException, InterruptedException {
    Path file = dir.resolve("c.pcap");
    Files.write(file, pcap.out.toByteArray());
    Process p = new ProcessBuilder("python3", SCRIPT.toString(), file.toString())
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  private static boolean python3() {
    try {
      return new ProcessBuilder("python3", "--version").start().waitFor(10, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  @Test
  void timesEachCallFromItsFirstInviteToItsFirstFinalTowardsTheSwitch() throws Exception {
    assumeTrue(python3(), "python3 is not installed: the capture timing script is not tested");
    Pcap pcap = new Pcap()
        .udp(1_000_000, 5090, 5060, invite("a"))
        .udp(1_000_100, 5060, 5090, response(100, "a", "INVITE"))
        .udp(1_000_200, 5060, 5080, invite("a")) // in-line: the proxy's INVITE to a destination
        .udp(1_000_300, 5080, 5060, response(200, "a", "INVITE"))
        .udp(1_000_700, 5060, 5090, response(200, "a", "INVITE"))
        .udp(1_000_900, 5060, 5090, response(200, "a", "INVITE")) // a retransmitted 200
        .udp(2_000_000, 5090, 5060, invite("b"))
        .udp(2_500_000, 5090, 5060, invite("b")) // retransmission: the clock keeps running
        .udp(2_503_000, 5060, 5090, response(503, "b", "INVITE"))
        .udp(2_503_100, 5090, 5060, response(200, "b", "BYE")) // not an INVITE's answer
        .udp(3_000_000, 5090, 5060, invite("c")); // no answer in the capture
    assertEquals("2 calls, 1 without a final in the capture; INVITE in -> final out "
        + "p50 700 p90 503000 p99 503000 max 503000 us", run(pcap));
  }
}
