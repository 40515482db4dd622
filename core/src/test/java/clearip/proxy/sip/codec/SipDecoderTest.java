package clearip.proxy.sip.codec;

import static clearip.proxy.sip.testing.SipFixtures.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.header.NameAddr;
import clearip.proxy.sip.header.Via;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.testing.SipFixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class SipDecoderTest {
  private final SipDecoder decoder = new SipDecoder();

  @Test
  void readsRoutingFieldsOfAnInvite() {
    SipRequest r = SipFixtures.request(SipFixtures.invite("abc@192.0.2.20", "z9hG4bKsw1"));
    assertEquals("INVITE", r.method());
    assertTrue(r.isInvite());
    assertEquals("sip:+14016401234@outbound.sip.clearip.com", r.requestUri());
    assertEquals("z9hG4bKsw1", r.topViaBranch());
    assertEquals("abc@192.0.2.20", r.callId());
    assertEquals(201, r.cseqNumber());
    assertEquals("INVITE", r.cseqMethod());
    assertEquals(69, r.maxForwards());
    assertNull(r.toTag());
    assertEquals("bjjplA8zKH1Z1ifnC74B70", r.fromTag());
    assertEquals(2, r.viaCount());
    Via top = r.topVia();
    assertEquals("UDP", top.transport());
    assertEquals("192.0.2.20", top.host());
    assertEquals(5060, top.port());
    assertTrue(top.hasRport());
    assertEquals(List.of(SipFixtures.IDENTITY), r.identities());
  }

  @Test
  void readsContactsOfAClearIpRedirect() {
    SipResponse r = SipFixtures.response(SipFixtures.redirect("c1", "z9hG4bKp1", 12));
    assertEquals(302, r.statusCode());
    assertEquals("Moved Temporarily", r.reasonPhrase());
    List<NameAddr> contacts = r.contacts();
    assertEquals(12, contacts.size());
    assertEquals("sip:+14016401234@10.0.0.1;transport=udp", contacts.get(0).uri());
    assertEquals(0.99, contacts.get(0).q(), 1e-9);
    assertEquals(0.88, contacts.get(11).q(), 1e-9);
    assertEquals("e78d7458-5545", r.toTag());
    assertEquals(302, r.reasons().get(0).cause());
    assertEquals("no-fraud-detected", r.reasons().get(0).text());
  }

  @Test
  void acceptsCompactFormsAndFolding() {
    String m = "OPTIONS sip:a@example.com SIP/2.0\r\n"
        + "v: SIP/2.0/UDP h.example.com;branch=z9hG4bK1,\r\n SIP/2.0/TCP g.example.com\r\n"
        + "f: <sip:b@example.com>;tag=1\r\n"
        + "t: sip:a@example.com\r\n"
        + "i: 12@h\r\n"
        + "CSeq: 1\r\n OPTIONS\r\n"
        + "m: <sip:b@h.example.com>, \"x,y\" <sip:c@h.example.com;a=b>;q=0.5\r\n"
        + "l: 0\r\n\r\n";
    SipRequest r = (SipRequest) ((Decoded.Ok) decoder.decode(bytes(m))).message();
    assertEquals("12@h", r.callId());
    assertEquals(2, r.viaCount());
    assertEquals("TCP", r.vias().get(1).transport());
    assertEquals("OPTIONS", r.cseqMethod());
    assertEquals(2, r.contacts().size());
    assertEquals("\"x,y\"", r.contacts().get(1).displayName());
    assertEquals("sip:c@h.example.com;a=b", r.contacts().get(1).uri());
    assertEquals(0, r.contentLength());
  }

  @Test
  void readsTheTopBranchAndTagsFoundWhileValidating() {
    String[][] cases = {
        // top Via value, branch read; From params, tag read; To params, tag read
        {"SIP/2.0/UDP h;branch=z9hG4bK1", "z9hG4bK1", ";tag=1", "1", "", null},
        {"SIP/2.0/UDP h;rport;BRANCH = z9hG4bK2;branch=x", "z9hG4bK2", ";x;TAG=a;tag=b", "a",
            ";tag=\"q\"", "\"q\""},
        {"SIP/2.0/UDP h;branch", "", ";tag", null, ";tag;x=1", null},
        {"SIP/2.0/UDP h;branchx=1, SIP/2.0/UDP g;branch=second", null, ";tags=1", null,
            ";tag=t;x", "t"},
        {"SIP/2.0/UDP h, SIP/2.0/UDP g;branch=second", null, "", null, ";a=1;tag=9", "9"}};
    for (String[] c : cases) {
      String m = "OPTIONS sip:a@example.com SIP/2.0\r\nVia: " + c[0] + "\r\n"
          + "Via: SIP/2.0/UDP k;branch=third\r\n"
          + "From: <sip:b@h>" + c[2] + "\r\nTo: <sip:a@h>" + c[4] + "\r\n"
          + "Call-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n";
      Decoded d = decoder.decode(bytes(m));
      SipRequest r = (SipRequest) assertInstanceOf(Decoded.Ok.class, d, m).message();
      assertEquals(c[1], r.topViaBranch(), m);
      assertEquals(c[3], r.fromTag(), m);
      assertEquals(c[5], r.toTag(), m);
    }
  }

  @Test
  void headerNamesEndWhereTheirTokenEnds() {
    String base = "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        + "From: <sip:b@h>;tag=1\r\nTo: <sip:a@h>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n";
    // a line added after the mandatory ones, and its verdict: the id it indexes, or the reason
    Object[][] cases = {
        {"Max-Forwards: 70", HeaderName.MAX_FORWARDS},
        {"max-forwards  \t: 70", HeaderName.MAX_FORWARDS},
        {"P-Asserted-Identity:<sip:a@h>", HeaderName.P_ASSERTED_IDENTITY},
        {"l : 0", HeaderName.CONTENT_LENGTH},
        {"Max-Forwardsx: 70", null},
        {"X-Max-Forwards: 70", null},
        {"Max.Forwards: 70", null},
        {"Max-Forwards@: 70", "malformed header line (no colon)"},
        {"Max-Forwards\u00e9: 70", "malformed header line (no colon)"},
        {"Max-Forwards 70", "malformed header line (no colon)"},
        {"Max-Forwards\r\n: 70", "malformed header line (no colon)"},
        {": 70", "malformed header line"},
        {"@Max-Forwards: 70", "malformed header line"}};
    for (Object[] c : cases) {
      String line = (String) c[0];
      Decoded d = decoder.decode(bytes(base + line + "\r\n\r\n"));
      if (c[1] instanceof String reason) {
        assertEquals(reason, assertInstanceOf(Decoded.Malformed.class, d, line).reason(), line);
        continue;
      }
      SipRequest r = (SipRequest) assertInstanceOf(Decoded.Ok.class, d, line).message();
      int last = r.headerCount() - 1;
      int id = c[1] == null ? HeaderName.UNKNOWN : ((HeaderName) c[1]).id();
      assertEquals(id, r.headerId(last), line);
      assertEquals(line.substring(0, line.indexOf(':')).strip(), r.headerName(last), line);
    }
    // a name running to the end of the input
    for (String end : new String[] {"Max-Forwards", "Max-Forwards ", "X-Unknown"}) {
      Decoded d = decoder.decode(bytes(base + end));
      assertEquals("malformed header line (no colon)",
          assertInstanceOf(Decoded.Malformed.class, d, end).reason(), end);
    }
  }

  @Test
  void ipv6ReceivedWithoutBracketsIsAccepted() {
    String m = SipFixtures.redirect("c1", "z9hG4bKp1", 1).replace(
        "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKp1",
        "Via: SIP/2.0/TLS sip.clearip.com:5061;branch=z9hG4bKp1;i=a0;received=::ffff:10.0.13.175");
    SipResponse r = SipFixtures.response(m);
    assertEquals("::ffff:10.0.13.175", r.topVia().received());
  }

  @Test
  void streamFramingRequiresContentLength() {
    byte[] m = bytes("OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
        + "From: <sip:b@h>;tag=1\r\nTo: <sip:a@h>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n");
    Decoded d = decoder.decode(m, 0, m.length, SipDecoder.Framing.STREAM);
    assertEquals(400, assertInstanceOf(Decoded.Malformed.class, d).status());
    assertInstanceOf(Decoded.Ok.class, decoder.decode(m));
  }

  @Test
  void rejectsMessageLargerThanLimit() {
    SipDecoder small = new SipDecoder(new ParseLimits(500, 200, 50, 400, 10));
    Decoded d = small.decode(bytes(SipFixtures.invite("x", "z9hG4bK1")));
    Decoded.Malformed m = assertInstanceOf(Decoded.Malformed.class, d);
    assertEquals(513, m.status());
    assertTrue(m.canRespond(), "the Via is still readable, so a 513 can be sent");
  }

  @Test
  void rejectsHeaderLineLongerThanLimit() {
    SipDecoder small = new SipDecoder(new ParseLimits(65_535, 200, 50, 300, 10));
    Decoded d = small.decode(bytes(SipFixtures.invite("x", "z9hG4bK1")));
    Decoded.Malformed m = assertInstanceOf(Decoded.Malformed.class, d);
    assertEquals(400, m.status());
    assertTrue(m.reason().contains("longer than 300"), m.reason());
  }

  @Test
  void rejectsTooManyHeaderFieldsAndVias() {
    SipDecoder fewHeaders = new SipDecoder(new ParseLimits(65_535, 200, 5, 16_384, 10));
    Decoded.Malformed m = assertInstanceOf(Decoded.Malformed.class,
        fewHeaders.decode(bytes(SipFixtures.invite("x", "z9hG4bK1"))));
    assertTrue(m.reason().contains("header fields"), m.reason());
    SipDecoder oneVia = new SipDecoder(new ParseLimits(65_535, 200, 50, 16_384, 1));
    m = assertInstanceOf(Decoded.Malformed.class,
        oneVia.decode(bytes(SipFixtures.invite("x", "z9hG4bK1"))));
    assertTrue(m.reason().contains("Via"), m.reason());
  }

  @Test
  void rejectsLongStartLineWith414() {
    SipDecoder small = new SipDecoder(new ParseLimits(65_535, 40, 50, 16_384, 10));
    Decoded.Malformed m = assertInstanceOf(Decoded.Malformed.class,
        small.decode(bytes(SipFixtures.invite("x", "z9hG4bK1"))));
    assertEquals(414, m.status());
  }

  @Test
  void garbageIsMalformedAndNotAnswerable() {
    for (String g : List.of("", "\r\n\r\n", "hello", "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "\u0000\u0001\u0002", "SIP/2.0 200\r\n\r\n", "INVITE sip:a@b SIP/2.0\r\n")) {
      Decoded d = decoder.decode(bytes(g));
      Decoded.Malformed m = assertInstanceOf(Decoded.Malformed.class, d, g);
      assertTrue(!m.canRespond(), "no Via, nothing to answer: " + g);
    }
  }

  @Test
  void truncatedInputNeverThrows() {
    byte[] full = bytes(SipFixtures.invite("x", "z9hG4bK1"));
    for (int len = 0; len < full.length; len++) {
      decoder.decode(full, 0, len, SipDecoder.Framing.STREAM);
      decoder.decode(full, 0, len, SipDecoder.Framing.DATAGRAM);
    }
    // every single-byte corruption too
    for (int i = 0; i < full.length; i++) {
      byte[] c = full.clone();
      c[i] = (byte) (c[i] ^ 0x5a);
      decoder.decode(c);
    }
  }

  @Test
  void keepAliveDatagramIsRecognised() {
    assertTrue(SipDecoder.isKeepAlive(bytes("\r\n\r\n"), 0, 4));
    assertTrue(!SipDecoder.isKeepAlive(bytes("\r\nX"), 0, 3));
  }

  // ---- header lines are scanned eight bytes at a time: every alignment matters ----

  private static final String HEAD = "OPTIONS sip:a@example.com SIP/2.0\r\n"
      + "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
      + "From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
      + "Call-ID: 12@h\r\nCSeq: 1 OPTIONS\r\n";

  /** HEAD, then an X-Pad header of n bytes (ending in tail), then the rest of the message. */
  private static byte[] withPad(int n, String tail, String rest) {
    return bytes(HEAD + "X-Pad: " + "p".repeat(n) + tail + rest);
  }

  private Decoded.Malformed malformed(byte[] m) {
    return assertInstanceOf(Decoded.Malformed.class, decoder.decode(m));
  }

  @Test
  void headerLineEndsAtItsCrlfWhateverItsAlignment() {
    for (int n = 1; n <= 24; n++) {
      SipRequest r = (SipRequest) ((Decoded.Ok) decoder.decode(
          withPad(n, "", "\r\nX-Next: y\r\nContent-Length: 0\r\n\r\n"))).message();
      assertEquals("p".repeat(n), r.header("X-Pad"));
      assertEquals("y", r.header("x-next"));
      assertEquals("X-Pad", r.headerName(r.indexOf("X-PAD", 0)));
    }
  }

  @Test
  void bareLfOrCrAtAnyPositionIsRefused() {
    for (int n = 1; n <= 24; n++) {
      for (int at = 0; at < n; at++) {
        String pad = "p".repeat(at);
        String rest = "q".repeat(n - at) + "\r\nContent-Length: 0\r\n\r\n";
        Decoded.Malformed lf = malformed(withPad(0, pad + "\n" + rest, ""));
        assertEquals("bare LF in header", lf.reason(), n + "/" + at);
        Decoded.Malformed cr = malformed(withPad(0, pad + "\rx" + rest, ""));
        assertEquals("bare CR in header", cr.reason(), n + "/" + at);
        // a high byte in the same place is text
        Decoded ok = decoder.decode(withPad(0, pad + "\u00e9" + rest, ""));
        assertInstanceOf(Decoded.Ok.class, ok, n + "/" + at);
      }
    }
  }

  @Test
  void foldedLinesAtAnyAlignmentAreOneField() {
    for (int n = 1; n <= 20; n++) {
      SipRequest r = (SipRequest) ((Decoded.Ok) decoder.decode(
          withPad(n, "\r\n\tmore\r\n  end", "\r\nContent-Length: 0\r\n\r\n"))).message();
      assertEquals("p".repeat(n) + " more end", r.header("X-Pad"));
      assertEquals(0, r.contentLength());
    }
  }

  @Test
  void headerAtTheEndOfTheBufferIsUnterminated() {
    for (int n = 1; n <= 20; n++) {
      assertEquals("header line not terminated by CRLF", malformed(withPad(n, "", "")).reason());
      assertEquals("bare CR in header", malformed(withPad(n, "\r", "")).reason());
      assertEquals("header section not terminated by an empty line",
          malformed(withPad(n, "\r\n", "")).reason());
      // the header is cut off inside a larger buffer: nothing past the end is read
      byte[] whole = withPad(n, "\r\nContent-Length: 0\r\n\r\n", "");
      int cut = new String(whole, java.nio.charset.StandardCharsets.ISO_8859_1)
          .lastIndexOf("\r\nContent-Length");
      Decoded d = decoder.decode(whole, 0, cut, SipDecoder.Framing.DATAGRAM);
      assertEquals("header line not terminated by CRLF",
          assertInstanceOf(Decoded.Malformed.class, d).reason());
    }
  }

  @Test
  void nonAsciiOctetsInValuesAreKeptAsTheyCame() {
    // 0x8D and 0x8A are CR and LF with the high bit set: text, not line ends
    byte[] m = withPad(3, "\u008d\u008a\u00ff", "\r\nContent-Length: 0\r\n\r\n");
    m = new String(m, java.nio.charset.StandardCharsets.UTF_8)
        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    SipRequest r = (SipRequest) ((Decoded.Ok) decoder.decode(m)).message();
    int i = r.indexOf("X-Pad", 0);
    assertEquals(6, r.headerValueEnd(i) - r.headerValueStart(i));
    assertEquals((byte) 0x8d, m[r.headerValueStart(i) + 3]);
  }

  @Test
  void requestUriControlOctetsAreRefusedAtAnyPosition() {
    for (int at = 0; at < 20; at++) {
      for (char c : new char[] {'\t', 0x01, 0x7f, 0x1f}) {
        String uri = "sip:" + "a".repeat(at) + c + "@example.com";
        byte[] m = bytes(HEAD.replace("sip:a@example.com SIP", uri + " SIP")
            + "Content-Length: 0\r\n\r\n");
        assertEquals("control octet in Request-URI", malformed(m).reason(), at + " " + (int) c);
      }
      String uri = "sip:" + "a".repeat(at) + "\u00e9@example.com";
      byte[] m = (HEAD.replace("sip:a@example.com SIP", uri + " SIP")
          + "Content-Length: 0\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
      SipRequest r = (SipRequest) ((Decoded.Ok) decoder.decode(m)).message();
      assertEquals(uri.length(), r.requestUriEnd() - r.requestUriStart());
    }
  }
}
