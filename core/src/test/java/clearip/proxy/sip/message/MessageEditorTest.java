package clearip.proxy.sip.message;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.header.HeaderName;
import clearip.proxy.sip.testing.SipFixtures;
import org.junit.jupiter.api.Test;

class MessageEditorTest {
  private final String invite = SipFixtures.invite("call-1@192.0.2.20", "z9hG4bKsw1");

  @Test
  void forwardingTouchesOnlyViaAndMaxForwards() {
    SipRequest r = SipFixtures.request(invite);
    byte[] out = r.edit()
        .pushVia("SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKp1")
        .decrementMaxForwards()
        .toBytes();
    String expected = invite
        .replace("Via: SIP/2.0/UDP 192.0.2.20", "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKp1"
            + "\r\nVia: SIP/2.0/UDP 192.0.2.20")
        .replace("Max-Forwards: 69", "Max-Forwards: 68");
    assertEquals(expected, new String(out, java.nio.charset.StandardCharsets.UTF_8));
    SipRequest fwd = SipFixtures.request(expected);
    assertEquals("z9hG4bKp1", fwd.topViaBranch());
    assertEquals(3, fwd.viaCount());
  }

  @Test
  void writeToMatchesToBytes() {
    SipRequest r = SipFixtures.request(invite);
    MessageEditor e = r.edit().pushVia("SIP/2.0/TCP 192.0.2.10;branch=z9hG4bKp2");
    byte[] dst = new byte[e.length() + 10];
    int n = e.writeTo(dst, 5);
    assertEquals(e.length(), n);
    assertEquals(new String(e.toBytes()), new String(dst, 5, n));
  }

  @Test
  void addedLinesAreAsciiOrUtf8() {
    SipRequest r = SipFixtures.request(invite);
    String out = new String(r.edit()
        .addHeader("Subject", "plain")
        .addHeader("X-Note", "caf\u00e9 \u2603")
        .addHeader("X-\u00c9", "v")
        .toBytes(), java.nio.charset.StandardCharsets.UTF_8);
    String tail = "Subject: plain\r\nX-Note: caf\u00e9 \u2603\r\nX-\u00c9: v\r\n\r\n";
    assertTrue(out.contains(tail), out);
  }

  @Test
  void aNonAsciiCharAnywhereInAnAddedLineMakesItUtf8() {
    SipRequest r = SipFixtures.request(invite);
    // chars whose low byte alone would pass for ASCII ('A', ' ', NUL), one past Latin-1, a pair
    for (String odd : new String[] {"\u0141", "\u2020", "\u0100", "\u00ff", "\ud83d\ude00"}) {
      for (int at = 0; at <= 9; at++) {
        String value = "abcdefghi".substring(0, at) + odd + "abcdefghi".substring(at);
        String name = at % 2 == 0 ? "X-Note" : "X-" + odd;
        byte[] out = r.edit().addHeader(name, value).toBytes();
        byte[] line = (name + ": " + value + "\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertArrayEquals(line, java.util.Arrays.copyOfRange(out, out.length - line.length
            - r.bodyLength(), out.length - r.bodyLength()), value);
      }
    }
  }

  @Test
  void addsMaxForwards70WhenAbsent() {
    SipRequest r = SipFixtures.request(invite.replace("Max-Forwards: 69\r\n", ""));
    SipRequest fwd = SipFixtures.request(new String(r.edit().decrementMaxForwards().toBytes()));
    assertEquals(70, fwd.maxForwards());
  }

  @Test
  void popViaRemovesOurLineOrFirstListValue() {
    String resp = SipFixtures.redirect("c", "z9hG4bKp1", 2);
    SipResponse r = SipFixtures.response(resp);
    SipResponse popped = SipFixtures.response(new String(r.edit().popVia().toBytes()));
    assertEquals("z9hG4bKsw1", popped.topViaBranch());
    assertEquals(1, popped.viaCount());

    String list = resp.replace("Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKp1\r\nVia: ",
        "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKp1 ,  ");
    SipResponse listed = SipFixtures.response(list);
    assertEquals(2, listed.viaCount());
    String out = new String(listed.edit().popVia().toBytes());
    assertTrue(out.contains("\r\nVia: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKsw1;"), out);
    assertEquals(1, SipFixtures.response(out).viaCount());
  }

  @Test
  void setsRequestUriKeepingParameters() {
    SipRequest r = SipFixtures.request(invite);
    String uri = "sip:+14016401234@10.0.0.1:5070;transport=tcp;tag;parameter=1";
    SipRequest out = SipFixtures.request(new String(r.edit().setRequestUri(uri).toBytes()));
    assertEquals(uri, out.requestUri());
  }

  @Test
  void copiesIdentityLinesByteForByte() {
    String weird = "Identity: abc.def.ghi ;info=<https://x.example/c.pem> ; alg=ES256;ppt=shaken";
    SipResponse redirect = SipFixtures.response(SipFixtures.redirect("c", "z9hG4bKp1", 1)
        .replace("Identity: " + SipFixtures.IDENTITY, weird + "\r\ny: second.pass.port;ppt=div"));
    SipRequest r = SipFixtures.request(invite);
    MessageEditor e = r.edit().removeHeaders(HeaderName.IDENTITY);
    for (int i = redirect.indexOf(HeaderName.IDENTITY); i >= 0;
        i = redirect.indexOf(HeaderName.IDENTITY, i + 1)) {
      e.addHeaderLine(redirect.headerLineBytes(i));
    }
    String out = new String(e.toBytes());
    assertTrue(out.contains("\r\n" + weird + "\r\ny: second.pass.port;ppt=div\r\n\r\n"), out);
    assertTrue(!out.contains(SipFixtures.IDENTITY));
    assertEquals(2, SipFixtures.request(out).identities().size());
  }

  @Test
  void fillsReceivedAndRport() {
    SipRequest r = SipFixtures.request(invite);
    SipRequest out = SipFixtures.request(new String(
        r.edit().setTopViaReceived("198.51.100.7", 40000).toBytes()));
    assertEquals("198.51.100.7", out.topVia().received());
    assertEquals(40000, out.topVia().rport());
    // the second Via is untouched
    assertEquals("192.0.2.21", out.vias().get(1).received());
    // an existing received is replaced, and no rport is invented
    SipRequest again = SipFixtures.request(new String(out.edit()
        .setTopViaReceived("198.51.100.8", 40001).toBytes()));
    assertEquals("198.51.100.8", again.topVia().received());
    assertEquals(40001, again.topVia().rport());
  }

  @Test
  void addsContentLengthForStreams() {
    String noCl = invite.replaceAll("Content-Length: \\d+\r\n", "");
    SipRequest r = SipFixtures.request(noCl);
    assertEquals(-1, r.contentLength());
    SipRequest out = SipFixtures.request(new String(r.edit().ensureContentLength().toBytes()));
    assertEquals(r.bodyLength(), out.contentLength());
  }

  @Test
  void overlappingEditsAreRefused() {
    SipRequest r = SipFixtures.request(invite);
    assertThrows(IllegalStateException.class,
        () -> r.edit().popVia().removeHeaders(HeaderName.VIA).toBytes());
  }
}
