package clearip.proxy.sip.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.testing.SipFixtures;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SipStreamFramerTest {
  private final byte[] a = SipFixtures.bytes(SipFixtures.invite("a@h", "z9hG4bKa"));
  private final byte[] b = SipFixtures.bytes(SipFixtures.redirect("b@h", "z9hG4bKb", 3));

  private static List<SipStreamFramer.Frame> drain(SipStreamFramer f) {
    List<SipStreamFramer.Frame> out = new ArrayList<>();
    for (SipStreamFramer.Frame fr; (fr = f.next()) != null; ) out.add(fr);
    return out;
  }

  @Test
  void severalMessagesInOneRead() {
    ByteArrayOutputStream s = new ByteArrayOutputStream();
    s.writeBytes(a);
    s.writeBytes(b);
    s.writeBytes(a);
    SipStreamFramer f = new SipStreamFramer(ParseLimits.DEFAULT);
    f.feed(s.toByteArray());
    List<SipStreamFramer.Frame> frames = drain(f);
    assertEquals(3, frames.size());
    assertArrayEquals(a, ((SipStreamFramer.Frame.Message) frames.get(0)).bytes());
    assertArrayEquals(b, ((SipStreamFramer.Frame.Message) frames.get(1)).bytes());
    assertEquals(0, f.buffered());
  }

  @Test
  void oneMessageOverManyReadsOfEverySize() {
    ByteArrayOutputStream s = new ByteArrayOutputStream();
    s.writeBytes(a);
    s.writeBytes(b);
    byte[] all = s.toByteArray();
    for (int chunk = 1; chunk <= 64; chunk++) {
      SipStreamFramer f = new SipStreamFramer(ParseLimits.DEFAULT);
      List<SipStreamFramer.Frame> frames = new ArrayList<>();
      for (int i = 0; i < all.length; i += chunk) {
        f.feed(all, i, Math.min(chunk, all.length - i));
        frames.addAll(drain(f));
      }
      assertEquals(2, frames.size(), "chunk " + chunk);
      assertArrayEquals(b, ((SipStreamFramer.Frame.Message) frames.get(1)).bytes());
    }
  }

  @Test
  void keepAlivePingsBetweenMessages() {
    SipStreamFramer f = new SipStreamFramer(ParseLimits.DEFAULT);
    f.feed(SipFixtures.bytes("\r\n\r\n"));
    assertSame(SipStreamFramer.Frame.Ping.INSTANCE, f.next());
    f.feed(SipFixtures.bytes("\r\n")); // a pong, or half a ping
    assertNull(f.next());
    f.feed(SipFixtures.bytes("\r\n"));
    assertSame(SipStreamFramer.Frame.Ping.INSTANCE, f.next());
    f.feed(SipFixtures.bytes("\r\n"));
    f.feed(a);
    assertArrayEquals(a, ((SipStreamFramer.Frame.Message) f.next()).bytes());
  }

  @Test
  void missingContentLengthIsAFramingError() {
    String m = SipFixtures.invite("a@h", "z9hG4bKa").replaceAll("Content-Length: \\d+\r\n", "");
    SipStreamFramer f = new SipStreamFramer(ParseLimits.DEFAULT);
    f.feed(SipFixtures.bytes(m));
    SipStreamFramer.Frame.Error e = assertInstanceOf(SipStreamFramer.Frame.Error.class, f.next());
    assertTrue(e.reason().contains("Content-Length missing"));
    assertEquals(SipStreamFramer.Fault.CONTENT_LENGTH_MISSING, e.fault());
    assertEquals(400, e.fault().status());
    assertTrue(new String(e.context()).startsWith("INVITE "));
    assertNull(f.next(), "no resynchronisation after an error");
  }

  @Test
  void negativeContentLengthIsAFramingError() {
    String m = SipFixtures.invite("a@h", "z9hG4bKa").replaceAll("Content-Length: \\d+", "l: -5");
    SipStreamFramer f = new SipStreamFramer(ParseLimits.DEFAULT);
    f.feed(SipFixtures.bytes(m));
    assertInstanceOf(SipStreamFramer.Frame.Error.class, f.next());
  }

  @Test
  void oversizedMessageIsRefusedBeforeItIsBuffered() {
    SipStreamFramer f = new SipStreamFramer(new ParseLimits(2000, 1000, 20, 1000, 10));
    String m = SipFixtures.invite("a@h", "z9hG4bKa").replaceAll("Content-Length: \\d+",
        "Content-Length: 100000");
    f.feed(SipFixtures.bytes(m));
    SipStreamFramer.Frame.Error e = assertInstanceOf(SipStreamFramer.Frame.Error.class, f.next());
    assertTrue(e.reason().contains("exceeds"));
    assertEquals(SipStreamFramer.Fault.MESSAGE_TOO_LARGE, e.fault());
    assertEquals(513, e.fault().status());
  }

  @Test
  void endlessHeaderSectionIsRefused() {
    SipStreamFramer f = new SipStreamFramer(new ParseLimits(4000, 1000, 10, 1000, 10));
    byte[] line = SipFixtures.bytes("X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    f.feed(SipFixtures.bytes("OPTIONS sip:a@example.com SIP/2.0\r\n"));
    SipStreamFramer.Frame fr = f.next();
    for (int i = 0; i < 1000 && fr == null; i++) {
      f.feed(line);
      fr = f.next();
    }
    assertInstanceOf(SipStreamFramer.Frame.Error.class, fr);
    assertTrue(f.buffered() < 8000, "buffer stays bounded: " + f.buffered());
  }

  @Test
  void garbageIsToldApartWithinOneStartLine() {
    // a TLS ClientHello on a plain TCP port: its first byte can start no SIP message
    SipStreamFramer tls = new SipStreamFramer(ParseLimits.DEFAULT);
    tls.feed(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00});
    assertInstanceOf(SipStreamFramer.Frame.Error.class, tls.next());
    // text that is not SIP: known at the end of its first line
    SipStreamFramer http = new SipStreamFramer(ParseLimits.DEFAULT);
    http.feed(SipFixtures.bytes("GET / HTTP/1.1"));
    assertNull(http.next(), "the line may still end in SIP/2.0");
    http.feed(SipFixtures.bytes("\r\nHost: x\r\n"));
    SipStreamFramer.Frame.Error e = assertInstanceOf(SipStreamFramer.Frame.Error.class,
        http.next());
    assertEquals("not a SIP message (bad start line)", e.reason());
    assertEquals(SipStreamFramer.Fault.NOT_SIP, e.fault());
    // a start line that never ends: refused past the start line's limit, not the header's
    SipStreamFramer endless = new SipStreamFramer(new ParseLimits(65_535, 1000, 256, 16_384,
        64));
    endless.feed(SipFixtures.bytes("INVITE sip:" + "a".repeat(1200)));
    assertInstanceOf(SipStreamFramer.Frame.Error.class, endless.next());
  }

  @Test
  void responsesAndOddButValidRequestLinesAreFramed() {
    for (String start : List.of("SIP/2.0 200 OK", "INVITE  sip:user@example.com  SIP/2.0",
        "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/"
            + "crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0",
        "OPTIONS sip:t.watson@example.org SIP/7.0")) {
      SipStreamFramer f = new SipStreamFramer(ParseLimits.DEFAULT);
      f.feed(SipFixtures.bytes(start + "\r\nContent-Length: 0\r\n\r\n"));
      assertInstanceOf(SipStreamFramer.Frame.Message.class, f.next(), start);
    }
  }
}
