package clearip.proxy.sip.header;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeaderNameTest {
  private static int id(String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    return HeaderName.lookupId(b, 0, b.length);
  }

  @Test
  void compactFormsMapToTheirLongNames() {
    String[][] pairs = {{"v", "Via"}, {"i", "Call-ID"}, {"f", "From"}, {"t", "To"},
        {"m", "Contact"}, {"l", "Content-Length"}, {"c", "Content-Type"}, {"k", "Supported"},
        {"s", "Subject"}, {"e", "Content-Encoding"}, {"o", "Event"}, {"r", "Refer-To"},
        {"u", "Allow-Events"}, {"x", "Session-Expires"}, {"y", "Identity"}, {"b", "Referred-By"},
        {"a", "Accept-Contact"}, {"j", "Reject-Contact"}, {"d", "Request-Disposition"},
        {"n", "Identity-Info"}};
    for (String[] p : pairs) {
      assertEquals(id(p[1]), id(p[0]), p[0]);
      assertEquals(id(p[1]), id(p[0].toUpperCase()), p[0]);
    }
  }

  @Test
  void longNamesAreCaseInsensitive() {
    assertEquals(HeaderName.MAX_FORWARDS.id(), id("MaX-fOrWaRdS"));
    assertEquals(HeaderName.CALL_ID.id(), id("call-id"));
    assertSame(HeaderName.P_ASSERTED_IDENTITY, HeaderName.lookup("p-asserted-identity"));
  }

  @Test
  void unknownNamesAreUnknown() {
    assertEquals(HeaderName.UNKNOWN, id("X-Custom"));
    assertEquals(HeaderName.UNKNOWN, id("z"));
    assertEquals(HeaderName.UNKNOWN, id("Vias"));
    assertNull(HeaderName.lookup("C%6Fntact"));
  }
}
