package clearip.proxy.ops.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file as tshark reads it: clear text of a TLS leg on the standard port 5061 (which
 * Wireshark hands to its TLS dissector) and IPv6 UDP must both come out as SIP, with no
 * checksum or TCP analysis complaints.
 */
class PcapReadByTsharkTest {
  @TempDir Path dir;

  @Test
  void tlsLegOn5061AndIpv6UdpReadAsSip() throws Exception {
    String tshark = which("tshark");
    assumeTrue(tshark != null, "tshark is not installed (apt-get install -y tshark); skipping");
    byte[] invite = ("INVITE sip:14016401234@192.0.2.9 SIP/2.0\r\n"
        + "Via: SIP/2.0/TLS 192.0.2.1:40000;branch=z9hG4bK1\r\n"
        + "From: <sip:1@192.0.2.1>;tag=1\r\nTo: <sip:14016401234@192.0.2.9>\r\n"
        + "Call-ID: a@b\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] redirect = ("SIP/2.0 302 Moved Temporarily\r\n"
        + "Via: SIP/2.0/TLS 192.0.2.1:40000;branch=z9hG4bK1\r\n"
        + "From: <sip:1@192.0.2.1>;tag=1\r\nTo: <sip:14016401234@192.0.2.9>;tag=2\r\n"
        + "Call-ID: a@b\r\nCSeq: 1 INVITE\r\nContact: <sip:1@192.0.2.7>\r\n"
        + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    Endpoints out = Endpoints.of(new InetSocketAddress("192.0.2.1", 40000),
        new InetSocketAddress("192.0.2.9", 5061));
    Endpoints v6 = Endpoints.of(new InetSocketAddress("2001:db8::1", 5060),
        new InetSocketAddress("2001:db8::2", 5060));
    TcpSequences seq = new TcpSequences(10);
    Path f = dir.resolve("t.pcap");
    try (RotatingPcapFile p = new RotatingPcapFile(f, 1 << 20, 1)) {
      p.open();
      p.write(PcapRecords.tcp(1_000_000, out, 1, seq.take(out, invite.length), seq.ack(out),
          invite, 0, invite.length));
      Endpoints in = out.reversed();
      p.write(PcapRecords.tcp(2_000_000, in, 2, seq.take(in, redirect.length), seq.ack(in),
          redirect, 0, redirect.length));
      p.write(PcapRecords.udp(3_000_000, v6, 3, invite, 0, invite.length));
    }
    String rows = run(tshark, "-n", "-r", f.toString(), "-o", "ip.check_checksum:TRUE",
        "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-T", "fields",
        "-E", "separator=,", "-e", "sip.Method", "-e", "sip.Status-Code", "-e", "tcp.dstport",
        "-e", "ipv6.dst", "-e", "_ws.expert.severity");
    assertEquals("INVITE,,5061,,\n,302,40000,,\nINVITE,,,2001:db8::2,\n", rows);
  }

  static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly(); // our own child, by its handle
      throw new AssertionError("tshark did not finish");
    }
    return out;
  }

  static String which(String binary) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(d, binary);
      if (f.canExecute()) return f.getPath();
    }
    return null;
  }
}
