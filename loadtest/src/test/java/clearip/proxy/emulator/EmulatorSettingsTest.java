package clearip.proxy.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EmulatorSettingsTest {

  @Test
  void referenceConfGivesTheDocumentedDefaults() {
    EmulatorSettings s = EmulatorSettings.defaults();
    assertEquals(List.of(new EmulatorSettings.Endpoint("127.0.0.1", 5070)), s.udp());
    assertEquals(List.of(new EmulatorSettings.Endpoint("127.0.0.1", 5070)), s.tcp());
    assertEquals(List.of(new EmulatorSettings.Endpoint("127.0.0.1", 5071)), s.tls());
    assertEquals(Optional.empty(), s.tlsCertificate());
    assertEquals(3, s.rules().size());
    Rule redirect = s.rules().get(0);
    assertEquals(List.of("1"), redirect.calledPrefixes());
    Rule.Action.Redirect r = assertInstanceOf(Rule.Action.Redirect.class, redirect.action());
    assertEquals(2, r.destinations().size());
    assertTrue(r.identity());
    assertEquals("A", r.attest());
    assertEquals("SIP;cause=302;text=\"no-fraud-detected\"", r.reason());
    assertInstanceOf(Rule.Action.Block.class, s.rules().get(1).action());
    assertEquals(List.of("6"), s.rules().get(1).calledPrefixes());
    assertEquals(Rule.Action.Forbidden.INSTANCE, s.rules().get(2).action());
    assertEquals(new Rule.Action.NoAction(503), s.defaultRule().action());
    assertEquals(Rule.Action.Forbidden.INSTANCE, s.outsideAllowAction());
    assertEquals(Duration.ofSeconds(10), s.identityReuse());
    assertEquals(false, s.identityReuseAcrossNumbers());
    assertEquals(10_000, s.maxConnections());
    assertTrue(s.allow().isEmpty());
  }

  @Test
  void readsEveryRuleKey() {
    EmulatorSettings s = TestSettings.of("""
        no-action-status = 404
        allow = ["10.0.0.0/8", "::1"]
        listen.udp = ["[::1]:0", "127.0.0.1:0"]
        rules = [
          { name = r1, called-prefix = ["+1-401", "44"], caller-prefix = "404",
            source = "192.0.2.0/24", action = redirect,
            destinations = ["sip:${user}@a.example;trgp=7;tag", "tel:${called}"],
            identity = off, attest = B, pai = "\\"[V] ACME\\" <sip:${caller}@x;verstat=TN-Validation-Passed>",
            delay = 150ms }
          { action = no-action, no-answer = on }
          { action = no-action, status = 503, drop-connection = on }
          { action = block, reason = "SIP;cause=603;text=\\"spam\\"" }
        ]
        """);
    Rule r1 = s.rules().get(0);
    assertEquals("r1", r1.name());
    assertEquals(List.of("1401", "44"), r1.calledPrefixes());
    assertEquals(List.of("404"), r1.callerPrefixes());
    assertEquals(Duration.ofMillis(150), r1.delay());
    Rule.Action.Redirect red = (Rule.Action.Redirect) r1.action();
    assertEquals("sip:${user}@a.example;trgp=7;tag", red.destinations().get(0).toString());
    assertEquals("B", red.attest());
    assertEquals(new Rule.Action.NoAction(404), s.rules().get(1).action());
    assertTrue(s.rules().get(1).noAnswer());
    assertEquals(new Rule.Action.NoAction(503), s.rules().get(2).action());
    assertTrue(s.rules().get(2).dropConnection());
    assertEquals(new Rule.Action.Block("SIP;cause=603;text=\"spam\""), s.rules().get(3).action());
    assertEquals(new Rule.Action.NoAction(404), s.defaultRule().action());
    assertEquals(2, s.allow().size());
    assertEquals(new EmulatorSettings.Endpoint("::1", 0), s.udp().get(0));
  }

  @Test
  void rejectsBadValuesNamingTheKeyAndTheProblem() {
    assertBad("allow = [\"10.0.0.300/8\"]", "clearip-emulator.allow", "not an IP address");
    assertBad("allow = [\"10.0.0.0/33\"]", "clearip-emulator.allow", "prefix length must be 0..32");
    assertBad("listen.tcp = [\"127.0.0.1\"]", "clearip-emulator.listen.tcp", "not host:port");
    assertBad("listen.tcp = [\"127.0.0.1:70000\"]", "listen.tcp", "port must be 0..65535");
    assertBad("no-action-status = 500", "no-action-status", "must be 503 or 404");
    assertBad("default-action = redirect", "default-action", "must be no-action, block or forbidden");
    assertBad("identity.x5u = \"ftp://x\"", "identity.x5u", "http(s) URL");
    assertBad("rules = [{ action = jump }]", "rules[0].action", "must be redirect, no-action");
    assertBad("rules = [{ called-prefix = 1 }]", "rules[0]", "a rule needs an action");
    assertBad("rules = [{ action = block, colour = red }]", "rules[0].colour", "unknown rule key");
    assertBad("rules = [{ action = redirect, destinations = [] }]", "rules[0]",
        "1 to 12 destinations");
    assertBad("rules = [{ action = redirect, destinations = [\"sip:${usr}@h\"] }]",
        "rules[0].destinations", "unknown variable ${usr}");
    assertBad("rules = [{ action = redirect, destinations = [\"http://h/${user}\"] }]",
        "rules[0].destinations", "must be a sip:, sips: or tel: URI");
    assertBad("rules = [{ action = redirect, destinations = [\"sip:${user}@h\"], attest = D }]",
        "rules[0]", "attest must be A, B or C");
    assertBad("rules = [{ action = no-action, status = 486 }]", "rules[0]",
        "no-action status must be 503 or 404");
    assertBad("rules = [{ action = block, no-answer = on, drop-connection = on }]", "rules[0]",
        "exclude each other");
    assertBad("rules = [{ action = block, source = \"example.com\" }]", "rules[0].source",
        "not an IP address");
    assertBad("rules = [{ action = block, reason = \"a\\r\\nX: y\" }]", "rules[0]",
        "line break");
    String many = "sip:${user}@h\", \"".repeat(12) + "sip:${user}@h";
    assertBad("rules = [{ action = redirect, destinations = [\"" + many + "\"] }]", "rules[0]",
        "1 to 12 destinations, has 13");
  }

  private static void assertBad(String snippet, String path, String message) {
    ConfigException e = assertThrows(ConfigException.class, () -> TestSettings.of(snippet),
        snippet);
    assertTrue(e.getMessage().contains(path), () -> "path '" + path + "' not in: " + e.getMessage());
    assertTrue(e.getMessage().contains(message),
        () -> "'" + message + "' not in: " + e.getMessage());
  }
}
