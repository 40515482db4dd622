package clearip.proxy.sip.syntax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParametersTest {
  private static Parameters parse(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return Parameters.parse(b, 0, b.length);
  }

  @Test
  void namesKeepTheirSpellingWhetherCommonOrNot() {
    Parameters p = parse(";q=0.5;Q=1;tag=a;TAG=b;transport=udp;lr;x-custom=\"v w\";qq=2;t=3");
    List<String> names = p.asList().stream().map(Parameters.Param::name).toList();
    assertEquals(List.of("q", "Q", "tag", "TAG", "transport", "lr", "x-custom", "qq", "t"), names);
    assertEquals("0.5", p.get("q"));
    assertEquals("a", p.get("TAG"));
    assertEquals("\"v w\"", p.get("x-custom"));
    assertNull(p.get("lr"));
    assertEquals(";q=0.5;Q=1;tag=a;TAG=b;transport=udp;lr;x-custom=\"v w\";qq=2;t=3",
        p.toString());
  }

  @Test
  void oneTwoOrNoParameters() {
    assertEquals(List.of(new Parameters.Param("q", "0.9")), parse(";q=0.9").asList());
    assertEquals(List.of(new Parameters.Param("q", "0.9"), new Parameters.Param("lr", null)),
        parse(" ; q=0.9 ;lr").asList());
    assertEquals(Parameters.EMPTY, parse(""));
    assertEquals(parse(";a=1"), Parameters.of(List.of(new Parameters.Param("a", "1"))));
    assertEquals(";a=1", parse(";a=1").toString());
  }
}
