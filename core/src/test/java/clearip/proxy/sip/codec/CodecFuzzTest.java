package clearip.proxy.sip.codec;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.sip.header.NameAddr;
import clearip.proxy.sip.header.Via;
import clearip.proxy.sip.message.RequestChecks;
import clearip.proxy.sip.message.SipMessage;
import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.sip.uri.SipUri;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.Set;

/**
 * Coverage-guided fuzzing of what reads bytes from the network: the decoder (datagram and
 * stream framing), the stream framer, and the URI and header parsers. Seeds: every RFC 4475 and
 * RFC 5118 torture message ({@code CodecFuzzTestInputs/}). Run as a unit test it replays the
 * seeds and every past crash kept there; with {@code JAZZER_FUZZ=1} (CI) it fuzzes for a minute.
 * Whatever the input: no exception, a bounded framer, and a decoded message that encodes again
 * and decodes to the same bytes.
 */
class CodecFuzzTest {
  private static final ParseLimits LIMITS = ParseLimits.DEFAULT;
  private static final SipDecoder DECODER = new SipDecoder(LIMITS);

  @FuzzTest(maxDuration = "60s")
  void parsersNeverBreak(byte[] data) {
    decode(data, SipDecoder.Framing.DATAGRAM);
    decode(data, SipDecoder.Framing.STREAM);
    frame(data);
    SipUri.parse(data, 0, data.length);
    NameAddr.parse(data, 0, data.length);
    Via.parse(data, 0, data.length);
  }

  private static void decode(byte[] data, SipDecoder.Framing framing) {
    Decoded d = DECODER.decode(data, 0, data.length, framing);
    if (d instanceof Decoded.Malformed m) {
      assertNotNull(m.reason());
      return;
    }
    SipMessage msg = ((Decoded.Ok) d).message();
    // what the proxy reads of every message
    msg.callId();
    msg.topViaBranch();
    msg.vias();
    msg.fromTag();
    msg.toTag();
    msg.cseqNumber();
    msg.cseqMethod();
    msg.maxForwards();
    if (msg instanceof SipRequest r) {
      r.routes();
      RequestChecks.check(r, Set.of());
      RequestChecks.checkAsRecipient(r, Set.of());
    } else {
      ((SipResponse) msg).contacts();
    }
    byte[] again = msg.edit().toBytes();
    Decoded d2 = DECODER.decode(again, 0, again.length, framing);
    assertTrue(d2 instanceof Decoded.Ok, () -> "re-encoded message no longer decodes: " + d2);
    byte[] third = ((Decoded.Ok) d2).message().edit().toBytes();
    assertTrue(Arrays.equals(again, third), "encoding is stable");
  }

  /** Feeds the bytes in chunks whose sizes the bytes themselves choose. */
  private static void frame(byte[] data) {
    SipStreamFramer f = new SipStreamFramer(LIMITS);
    int i = 0;
    while (i < data.length) {
      int n = Math.min(data.length - i, 1 + (data[i] & 0x3f));
      f.feed(data, i, n);
      i += n;
      for (SipStreamFramer.Frame fr; (fr = f.next()) != null; ) {
        if (fr instanceof SipStreamFramer.Frame.Error) return; // the connection would close
      }
      assertTrue(f.buffered() <= LIMITS.maxMessageBytes() + 64,
          () -> "framer holds " + f.buffered() + " bytes");
    }
  }
}
