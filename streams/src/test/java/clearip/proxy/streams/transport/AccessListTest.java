package clearip.proxy.streams.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessListTest {

  private static InetAddress ip(String s) {
    return IpLiterals.parse(s);
  }

  @Test
  void matchesIpv4AndIpv6Blocks() {
    AccessList a = AccessList.parse(List.of("10.0.0.0/8", "2001:db8::/32", "192.0.2.7",
        "198.51.100.77/25"));
    assertTrue(a.allows(ip("10.255.1.2")));
    assertFalse(a.allows(ip("11.0.0.1")));
    assertTrue(a.allows(ip("2001:db8:ffff::1")));
    assertFalse(a.allows(ip("2001:db9::1")));
    assertTrue(a.allows(ip("192.0.2.7")));
    assertFalse(a.allows(ip("192.0.2.8")));
    assertTrue(a.allows(ip("198.51.100.1")));
    assertFalse(a.allows(ip("198.51.100.200")));
    assertFalse(a.allows(ip("127.0.0.1")));
    assertEquals("198.51.100.0/25", a.blocks().get(3).toString());
  }

  @Test
  void emptyMeansLoopbackOnlyAndSlashZeroMeansEverything() {
    assertTrue(AccessList.parse(List.of()).allows(ip("127.0.0.1")));
    assertTrue(AccessList.parse(List.of()).allows(ip("::1")));
    assertFalse(AccessList.parse(List.of()).allows(ip("192.0.2.1")));
    AccessList all = AccessList.parse(List.of("0.0.0.0/0", "::/0"));
    assertTrue(all.allows(ip("203.0.113.9")));
    assertTrue(all.allows(ip("2001:db8::9")));
    assertFalse(AccessList.parse(List.of("0.0.0.0/0")).allows(ip("2001:db8::9")));
  }

  @Test
  void badEntriesAreNamedPrecisely() {
    assertEquals("allow-list entry 2 \"10.0.0.0/33\": prefix length 33 is out of range 0..32 for"
        + " IPv4", assertThrows(IllegalArgumentException.class,
            () -> AccessList.parse(List.of("10.0.0.0/8", "10.0.0.0/33"))).getMessage());
    assertEquals("allow-list entry 1 \"sip.example.com/24\": \"sip.example.com\" is not an IPv4 or"
        + " IPv6 address (host names are not allowed)", assertThrows(
            IllegalArgumentException.class,
            () -> AccessList.parse(List.of("sip.example.com/24"))).getMessage());
    assertThrows(IllegalArgumentException.class, () -> AccessList.parse(List.of("10.0.0/8")));
    assertThrows(IllegalArgumentException.class, () -> AccessList.parse(List.of("10.0.0.256")));
    assertThrows(IllegalArgumentException.class, () -> AccessList.parse(List.of("::1/129")));
    assertThrows(IllegalArgumentException.class, () -> AccessList.parse(List.of("10.0.0.1/")));
    assertThrows(IllegalArgumentException.class, () -> AccessList.parse(List.of("")));
  }
}
