package clearip.proxy.emulator;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class CidrTest {

  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  @Test
  void matchesIpv4Networks() throws Exception {
    Cidr c = Cidr.parse("10.1.2.0/23");
    assertTrue(c.contains(ip("10.1.2.0")));
    assertTrue(c.contains(ip("10.1.3.255")));
    assertFalse(c.contains(ip("10.1.4.0")));
    assertFalse(c.contains(ip("10.1.1.255")));
    assertTrue(Cidr.parse("0.0.0.0/0").contains(ip("203.0.113.9")));
    assertTrue(Cidr.parse("192.0.2.7").contains(ip("192.0.2.7")));
    assertFalse(Cidr.parse("192.0.2.7").contains(ip("192.0.2.8")));
  }

  @Test
  void matchesIpv6AndIpv4MappedSources() throws Exception {
    Cidr v6 = Cidr.parse("2001:db8::/32");
    assertTrue(v6.contains(ip("2001:db8:ffff::1")));
    assertFalse(v6.contains(ip("2001:db9::1")));
    assertFalse(v6.contains(ip("10.0.0.1")));
    assertTrue(Cidr.parse("[::1]").contains(ip("::1")));
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    mapped[12] = 10;
    mapped[15] = 5;
    assertTrue(Cidr.parse("10.0.0.0/8").contains(java.net.Inet6Address.getByAddress(null,
        mapped, -1)));
  }

  @Test
  void rejectsNamesAndBadPrefixes() {
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("localhost"));
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0/8"));
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/-1"));
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("::1/129"));
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/x"));
  }
}
