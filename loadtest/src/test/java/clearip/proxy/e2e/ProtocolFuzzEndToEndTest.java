package clearip.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clearip.proxy.ops.server.ProxyServer;
import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.ParseLimits;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.codec.SipStreamFramer;
import clearip.proxy.sip.message.SipRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Protocol-level fuzzing end to end: mutated INVITEs (headers dropped, doubled, bytes flipped,
 * lengths wrong, cut short), retransmitted, CANCELled and followed by stray ACKs, over UDP and
 * TCP, against the real proxy and the ClearIP emulator. Every INVITE the proxy can read gets
 * exactly one final answer (retransmissions of that same answer aside); one it cannot read gets
 * its 4xx/5xx error or, where SIP says so, nothing. Deterministic: a fixed seed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProtocolFuzzEndToEndTest {
  static final long SEED = 4475L;
  static final int UDP_SEQUENCES = 240;
  static final int TCP_SEQUENCES = 60;
  static final Pattern STATUS = Pattern.compile("^SIP/2\\.0 (\\d{3})");
  static final Pattern CSEQ = Pattern.compile("(?mi)^(?:CSeq):\\s*\\d+\\s+([A-Za-z]+)");
  static final String[] NUMBERS = {"14016401234", "6195550100", "4045550100", "5305550100",
      "7305550100", "911"};

  E2e.ProxyOnEmulator bench;
  ProxyServer proxy;

  @BeforeAll
  void start() throws Exception {
    bench = E2e.ProxyOnEmulator.start(Files.createTempDirectory("e2e-protocol-fuzz"), """
        clearip-emulator {
          listen { udp = [], tcp = [], tls = ["127.0.0.1:0"] }
          rules = [
            { name = r1, called-prefix = "1", action = redirect, identity = on,
              destinations = ["sip:${user}@127.0.0.1:5999"] }
            { name = b6, called-prefix = "6", action = block }
            { name = f4, called-prefix = "4", action = forbidden }
            { name = slow7, called-prefix = "7", action = no-action, delay = 500ms }
          ]
        }
        """, "clearip-proxy.upstream.timeout = 1s");
    proxy = bench.proxy;
  }

  @AfterAll
  void stop() throws Exception {
    if (bench != null) bench.close();
  }

  /** One sequence: the INVITE's bytes, and what follows it. */
  record Sequence(int id, byte[] invite, int retransmissions, boolean cancel, boolean strayAck) {
    /**
     * What a correct proxy answers to the INVITE as a datagram: "final" (any one), "none", or an
     * error status.
     */
    String expected() {
      return verdict(new SipDecoder().decode(invite, 0, invite.length,
          SipDecoder.Framing.DATAGRAM));
    }

    /**
     * The same on a stream, with the CANCEL behind it: when the bytes after the INVITE (a body
     * longer than its Content-Length says, say) cannot be framed, the proxy closes the
     * connection, and the INVITE's answer may find it closed: then "at most one".
     */
    String expectedOnStream() {
      SipStreamFramer f = new SipStreamFramer(ParseLimits.DEFAULT);
      f.feed(invite);
      if (cancel) f.feed(cancelBytes());
      SipStreamFramer.Frame first = f.next();
      boolean sound = true;
      for (SipStreamFramer.Frame fr = first; fr != null; fr = f.next()) {
        if (fr instanceof SipStreamFramer.Frame.Error) sound = false;
      }
      if (f.buffered() > 0 && f.inMessage()) sound = false; // a tail that never completes
      if (!sound) return "at most one";
      if (first instanceof SipStreamFramer.Frame.Message m) {
        return verdict(new SipDecoder().decode(m.bytes(), 0, m.bytes().length,
            SipDecoder.Framing.STREAM));
      }
      return "none";
    }

    private static String verdict(Decoded d) {
      if (d instanceof Decoded.Ok ok) {
        return ok.message() instanceof SipRequest r && r.isInvite() ? "final" : "none";
      }
      Decoded.Malformed m = (Decoded.Malformed) d;
      return m.canRespond() ? Integer.toString(m.status()) : "none";
    }

    byte[] cancelBytes() {
      String text = new String(invite, StandardCharsets.ISO_8859_1);
      int end = text.indexOf("\r\n\r\n");
      String head = (end < 0 ? text : text.substring(0, end))
          .replaceFirst("^INVITE ", "CANCEL ").replaceAll("(?m)^CSeq: (\\d+) INVITE", "CSeq: $1 CANCEL")
          .replaceAll("(?mi)^Content-(Length|Type):[^\r\n]*\r\n?", "");
      return (head + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }
  }

  static Sequence generate(Random r, int id) {
    String number = NUMBERS[r.nextInt(NUMBERS.length)];
    String sdp = "v=0\r\no=fz 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        + "m=audio 4000 RTP/AVP 0\r\n";
    List<String> lines = new ArrayList<>(List.of(
        "INVITE sip:" + number + "@127.0.0.1 SIP/2.0",
        "Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKfz" + id + ";rport",
        "Max-Forwards: 70",
        "From: <sip:14045266060@127.0.0.1>;tag=fz" + id,
        "To: <sip:" + number + "@127.0.0.1>",
        "Call-ID: fz-" + id + "@127.0.0.1",
        "CSeq: 1 INVITE",
        "Contact: <sip:14045266060@127.0.0.1:5099>",
        "Content-Type: application/sdp",
        "Content-Length: " + sdp.length()));
    int mutations = r.nextInt(3);
    for (int k = 0; k < mutations; k++) {
      int at = 1 + r.nextInt(lines.size() - 1);
      switch (r.nextInt(6)) {
        case 0 -> lines.remove(at);
        case 1 -> lines.add(at, lines.get(at));
        case 2 -> lines.add(at, "X-Long: " + "a".repeat(r.nextInt(20_000)));
        case 3 -> lines.set(at, lines.get(at).replace(":", r.nextBoolean() ? "" : " :: "));
        case 4 -> lines.replaceAll(l -> l.startsWith("Content-Length")
            ? "Content-Length: " + (r.nextBoolean() ? "-1" : Integer.toString(r.nextInt(900)))
            : l);
        default -> lines.set(0, r.nextBoolean() ? "INVITE  sip:" + number + "@127.0.0.1 SIP/2.0"
            : "INVITE sip:" + number + "@127.0.0.1 SIP/3.0");
      }
    }
    byte[] bytes = (String.join("\r\n", lines) + "\r\n\r\n" + sdp)
        .getBytes(StandardCharsets.ISO_8859_1);
    if (r.nextInt(8) == 0) bytes[r.nextInt(bytes.length)] = (byte) r.nextInt(256); // a flipped byte
    if (r.nextInt(10) == 0) bytes = java.util.Arrays.copyOf(bytes, r.nextInt(bytes.length));
    return new Sequence(id, bytes, r.nextInt(3), r.nextInt(4) == 0, r.nextInt(8) == 0);
  }

  /** The distinct final statuses of INVITE transactions among the answers (CANCEL's left out). */
  static Set<String> inviteFinals(List<String> answers) {
    Set<String> out = new TreeSet<>();
    for (String a : answers) {
      Matcher s = STATUS.matcher(a);
      if (!s.find() || s.group(1).startsWith("1")) continue;
      Matcher c = CSEQ.matcher(a);
      if (c.find() && c.group(1).equalsIgnoreCase("CANCEL")) continue;
      out.add(s.group(1));
    }
    return out;
  }

  static void check(Sequence s, String expected, List<String> answers, List<String> problems) {
    Set<String> finals = inviteFinals(answers);
    boolean ok = switch (expected) {
      case "final" -> finals.size() == 1;
      case "none" -> finals.isEmpty();
      // a stream that breaks off: never two different finals
      case "at most one" -> finals.size() <= 1;
      default -> finals.equals(Set.of(expected));
    };
    if (!ok) {
      problems.add("sequence " + s.id() + " (" + s.invite().length + " bytes"
          + (s.cancel() ? ", CANCELled" : "") + ") expected " + expected + ", got " + finals
          + " in " + answers.size() + " answers " + answers.stream()
              .map(a -> a.substring(0, Math.min(40, a.length())).replace("\r\n", "|")).toList()
          + " for:\n" + new String(s.invite(), 0, Math.min(300, s.invite().length),
              StandardCharsets.ISO_8859_1));
    }
  }

  @Test
  void everyInviteGetsExactlyOneFinalOverUdpAndTcp() throws Exception {
    Random r = new Random(SEED);
    List<Sequence> udp = new ArrayList<>();
    for (int i = 0; i < UDP_SEQUENCES; i++) udp.add(generate(r, i));
    List<Sequence> tcp = new ArrayList<>();
    for (int i = 0; i < TCP_SEQUENCES; i++) tcp.add(generate(r, 10_000 + i));
    List<String> problems = new ArrayList<>();
    InetSocketAddress udpTarget = proxy.bound().udp().get(0);
    List<DatagramSocket> sockets = new ArrayList<>();
    try {
      for (Sequence s : udp) {
        DatagramSocket d = new DatagramSocket(new InetSocketAddress(
            InetAddress.getLoopbackAddress(), 0));
        sockets.add(d);
        send(d, udpTarget, s.invite());
        for (int k = 0; k < s.retransmissions(); k++) send(d, udpTarget, s.invite());
        if (s.cancel()) send(d, udpTarget, s.cancelBytes());
        if (s.strayAck()) send(d, udpTarget, "ACK sip:x@127.0.0.1 SIP/2.0\r\n\r\n".getBytes(
            StandardCharsets.ISO_8859_1));
      }
      // every answer comes within the upstream timeout (1 s) plus the queueing of 240 calls;
      // listening on for the whole window also catches a second, different final
      List<List<String>> answers = new ArrayList<>();
      for (int i = 0; i < udp.size(); i++) answers.add(new ArrayList<>());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
      byte[] buf = new byte[65_535];
      while (System.nanoTime() < deadline) {
        for (int i = 0; i < sockets.size(); i++) {
          DatagramSocket d = sockets.get(i);
          d.setSoTimeout(1);
          DatagramPacket p = new DatagramPacket(buf, buf.length);
          try {
            d.receive(p);
            answers.get(i).add(new String(p.getData(), 0, p.getLength(),
                StandardCharsets.ISO_8859_1));
          } catch (SocketTimeoutException nothingYet) {
            // next socket
          }
        }
      }
      for (int i = 0; i < udp.size(); i++) {
        check(udp.get(i), udp.get(i).expected(), answers.get(i), problems);
      }
    } finally {
      for (DatagramSocket d : sockets) d.close();
    }
    InetSocketAddress tcpTarget = proxy.bound().tcp().get(0);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors
        .newFixedThreadPool(TCP_SEQUENCES);
    try {
      // all at once, each read for 3 s (a second final would come within the 1 s timeout)
      List<java.util.concurrent.Future<List<String>>> read = new ArrayList<>();
      for (Sequence s : tcp) {
        read.add(pool.submit(() -> {
          try (Socket sock = new Socket()) {
            sock.connect(tcpTarget, 5000);
            sock.getOutputStream().write(s.invite());
            if (s.cancel()) sock.getOutputStream().write(s.cancelBytes());
            return readUntil(sock, System.nanoTime() + TimeUnit.SECONDS.toNanos(3));
          }
        }));
      }
      for (int i = 0; i < tcp.size(); i++) {
        check(tcp.get(i), tcp.get(i).expectedOnStream(), read.get(i).get(30, TimeUnit.SECONDS),
            problems);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(), problems, problems.size() + " sequences answered wrongly");
  }

  static void send(DatagramSocket d, InetSocketAddress to, byte[] b) throws IOException {
    if (b.length > 65_000) b = java.util.Arrays.copyOf(b, 65_000);
    d.send(new DatagramPacket(b, b.length, to));
  }

  /** Reads a TCP connection's answers until it closes, or until the deadline. */
  static List<String> readUntil(Socket s, long deadline) throws IOException {
    StringBuilder sb = new StringBuilder();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[65_535];
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) break;
      s.setSoTimeout((int) Math.max(1, left));
      try {
        int n = in.read(buf);
        if (n < 0) break;
        sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
      } catch (SocketTimeoutException | java.net.SocketException done) {
        break;
      }
    }
    List<String> out = new ArrayList<>();
    for (String part : sb.toString().split("(?=SIP/2\\.0 \\d{3} )")) {
      if (!part.isBlank()) out.add(part);
    }
    return out;
  }
}
