package clearip.proxy.emulator;

import clearip.proxy.sip.uri.Uri;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the ClearIP emulator is told, read from the {@code clearip-emulator} section (see
 * the commented {@code reference.conf}). Bad values fail fast with a {@link ConfigException}
 * naming the file, line, key and the problem.
 *
 * @param udp UDP listen addresses
 * @param tcp TCP listen addresses
 * @param tls TLS listen addresses
 * @param tlsCertificate PEM certificate chain for the TLS listeners, if configured
 * @param tlsPrivateKey PEM PKCS#8 private key for the TLS listeners, if configured
 * @param x5u the certificate URL put into every PASSporT
 * @param signingKey PEM PKCS#8 EC P-256 key for PASSporTs; empty: a key is generated at start
 * @param identityReuse how long a signed Identity may be reused for the same numbers; zero
 *     signs every call
 * @param identityReuseAcrossNumbers reuse one signed Identity per attestation level for every
 *     call (load tests with a new number per call), not per (caller, called) pair
 * @param allow source networks allowed to send requests; empty allows every source
 * @param outsideAllowAction the answer to sources outside {@code allow}
 * @param rules the rules, first match wins
 * @param defaultRule the answer when no rule matches
 * @param pendingExpiry how long a delayed or unanswered INVITE is remembered for CANCEL
 * @param maxPending bound on remembered INVITEs; past it delayed calls are answered at once
 * @param maxConnections TCP and TLS connections held at once, from all sources together or from
 *     one (a load generator may open one connection per call)
 */
public record EmulatorSettings(
    List<Endpoint> udp,
    List<Endpoint> tcp,
    List<Endpoint> tls,
    Optional<Path> tlsCertificate,
    Optional<Path> tlsPrivateKey,
    String x5u,
    Optional<Path> signingKey,
    Duration identityReuse,
    boolean identityReuseAcrossNumbers,
    List<Cidr> allow,
    Rule.Action outsideAllowAction,
    List<Rule> rules,
    Rule defaultRule,
    Duration pendingExpiry,
    int maxPending,
    int maxConnections) {

  /** The section of the configuration the emulator reads. */
  public static final String SECTION = "clearip-emulator";

  public EmulatorSettings {
    udp = List.copyOf(udp);
    tcp = List.copyOf(tcp);
    tls = List.copyOf(tls);
    allow = List.copyOf(allow);
    rules = List.copyOf(rules);
  }

  /** A host and port to listen on; port 0 picks a free port. */
  public record Endpoint(String host, int port) {

    /** Parses {@code host:port} or {@code [ipv6]:port}. */
    public static Endpoint parse(String text) {
      String t = text.trim();
      int colon = t.lastIndexOf(':');
      if (colon <= 0 || colon == t.length() - 1) {
        throw new IllegalArgumentException("'" + text + "' is not host:port");
      }
      String host = t.substring(0, colon);
      if (host.startsWith("[")) {
        if (!host.endsWith("]")) throw new IllegalArgumentException("'" + text + "': unclosed [");
        host = host.substring(1, host.length() - 1);
      } else if (host.indexOf(':') >= 0) {
        throw new IllegalArgumentException("'" + text + "': write IPv6 addresses as [addr]:port");
      }
      int port;
      try {
        port = Integer.parseInt(t.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("'" + text + "': port must be 0..65535");
      }
      return new Endpoint(host, port);
    }

    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** The settings from {@code reference.conf} alone. */
  public static EmulatorSettings defaults() {
    return fromConfig(ConfigFactory.defaultReference().getConfig(SECTION));
  }

  /**
   * The whole configuration for an emulator started from a file: the file, then the
   * application's and libraries' defaults (Pekko's included), resolved.
   */
  public static Config loadConfig(Optional<Path> file) {
    Config fallback = ConfigFactory.load();
    if (file.isEmpty()) return fallback;
    Config own = ConfigFactory.parseFile(file.get().toFile(),
        ConfigParseOptions.defaults().setAllowMissing(false));
    return own.withFallback(fallback).resolve();
  }

  /** Reads the {@code clearip-emulator} section itself (not the root). */
  public static EmulatorSettings fromConfig(Config c) {
    Reader r = new Reader(c, SECTION);
    int noActionStatus = r.noActionStatus("no-action-status");
    Rule.Action outside = r.simpleAction("outside-allow-action", noActionStatus);
    Rule.Action dflt = r.simpleAction("default-action", noActionStatus);
    List<Rule> rules = new ArrayList<>();
    ConfigList list = c.getList("rules");
    for (int i = 0; i < list.size(); i++) {
      rules.add(r.rule(list.get(i), SECTION + ".rules[" + i + "]", noActionStatus));
    }
    return new EmulatorSettings(
        r.endpoints("listen.udp"),
        r.endpoints("listen.tcp"),
        r.endpoints("listen.tls"),
        r.optionalPath("tls.certificate"),
        r.optionalPath("tls.private-key"),
        r.x5u("identity.x5u"),
        r.optionalPath("identity.signing-key"),
        r.nonNegative("identity.reuse-for"),
        c.getBoolean("identity.reuse-across-numbers"),
        r.cidrs(c, "allow", SECTION + ".allow"),
        outside,
        rules,
        Rule.catchAll("default", dflt),
        r.positive("pending.expire-after"),
        r.intIn("pending.max", 1, 10_000_000),
        r.intIn("max-connections", 1, 1_000_000));
  }

  /** Reads values with error messages that say where and what is wrong. */
  private static final class Reader {
    private static final Set<String> RULE_KEYS = Set.of("name", "called-prefix", "caller-prefix",
        "source", "action", "destinations", "identity", "attest", "pai", "reason", "status",
        "delay", "no-answer", "drop-connection");
    private static final String DEFAULT_REDIRECT_REASON = "SIP;cause=302;text=\"no-fraud-detected\"";
    private static final String DEFAULT_BLOCK_REASON = "SIP;cause=603;text=\"fraud-detected\"";

    private final Config c;
    private final String section;

    Reader(Config c, String section) {
      this.c = c;
      this.section = section;
    }

    private ConfigException bad(ConfigOrigin origin, String path, String message) {
      return new ConfigException.BadValue(origin, path, message);
    }

    private ConfigException bad(String key, String message) {
      return bad(c.getValue(key).origin(), section + "." + key, message);
    }

    List<Endpoint> endpoints(String key) {
      List<Endpoint> out = new ArrayList<>();
      for (String s : strings(c, key, section + "." + key)) {
        try {
          out.add(Endpoint.parse(s));
        } catch (IllegalArgumentException e) {
          throw bad(key, e.getMessage());
        }
      }
      return out;
    }

    Optional<Path> optionalPath(String key) {
      String s = c.getString(key).trim();
      return s.isEmpty() ? Optional.empty() : Optional.of(Path.of(s));
    }

    String x5u(String key) {
      String s = c.getString(key).trim();
      if (!s.startsWith("https://") && !s.startsWith("http://")) {
        throw bad(key, "x5u must be an http(s) URL of the signing certificate, was '" + s + "'");
      }
      if (s.indexOf('>') >= 0 || s.indexOf('"') >= 0 || s.indexOf(' ') >= 0) {
        throw bad(key, "x5u must not contain '>', '\"' or spaces");
      }
      return s;
    }

    Duration nonNegative(String key) {
      Duration d = c.getDuration(key);
      if (d.isNegative()) throw bad(key, "must not be negative, was " + d);
      return d;
    }

    Duration positive(String key) {
      Duration d = c.getDuration(key);
      if (d.isNegative() || d.isZero()) throw bad(key, "must be positive, was " + d);
      return d;
    }

    int intIn(String key, int min, int max) {
      int v = c.getInt(key);
      if (v < min || v > max) throw bad(key, "must be " + min + ".." + max + ", was " + v);
      return v;
    }

    int noActionStatus(String key) {
      int v = c.getInt(key);
      if (v != 503 && v != 404) throw bad(key, "must be 503 or 404, was " + v);
      return v;
    }

    Rule.Action simpleAction(String key, int noActionStatus) {
      String a = c.getString(key).trim().toLowerCase(Locale.ROOT);
      return switch (a) {
        case "no-action" -> new Rule.Action.NoAction(noActionStatus);
        case "block" -> new Rule.Action.Block(DEFAULT_BLOCK_REASON);
        case "forbidden" -> Rule.Action.Forbidden.INSTANCE;
        default -> throw bad(key, "must be no-action, block or forbidden, was '" + a
            + "' (a redirect needs a rule with destinations)");
      };
    }

    List<Cidr> cidrs(Config from, String key, String fullPath) {
      List<Cidr> out = new ArrayList<>();
      for (String s : strings(from, key, fullPath)) {
        try {
          out.add(Cidr.parse(s));
        } catch (IllegalArgumentException e) {
          throw bad(from.getValue(key).origin(), fullPath, e.getMessage());
        }
      }
      return out;
    }

    /** A string or a list of strings; an absent key is an empty list. */
    List<String> strings(Config from, String key, String fullPath) {
      if (!from.hasPath(key)) return List.of();
      ConfigValue v = from.getValue(key);
      if (v.valueType() == ConfigValueType.STRING || v.valueType() == ConfigValueType.NUMBER) {
        String s = String.valueOf(v.unwrapped());
        return s.isEmpty() ? List.of() : List.of(s);
      }
      if (v.valueType() != ConfigValueType.LIST) {
        throw bad(v.origin(), fullPath, "must be a string or a list of strings");
      }
      List<String> out = new ArrayList<>();
      for (ConfigValue e : (ConfigList) v) {
        if (e.valueType() != ConfigValueType.STRING && e.valueType() != ConfigValueType.NUMBER) {
          throw bad(e.origin(), fullPath, "list elements must be strings, found "
              + e.valueType().name().toLowerCase(Locale.ROOT));
        }
        out.add(String.valueOf(e.unwrapped()));
      }
      return out;
    }

    Rule rule(ConfigValue value, String path, int noActionStatus) {
      if (value.valueType() != ConfigValueType.OBJECT) {
        throw bad(value.origin(), path, "a rule must be an object { action = ..., ... }");
      }
      ConfigObject obj = (ConfigObject) value;
      for (String k : obj.keySet()) {
        if (!RULE_KEYS.contains(k)) {
          throw bad(obj.get(k).origin(), path + "." + k, "unknown rule key '" + k
              + "'; known: " + new java.util.TreeSet<>(RULE_KEYS));
        }
      }
      Config rc = obj.toConfig();
      String name = rc.hasPath("name") ? rc.getString("name") : path;
      if (!rc.hasPath("action")) throw bad(obj.origin(), path, "a rule needs an action");
      String actionName = rc.getString("action").trim().toLowerCase(Locale.ROOT);
      Rule.Action action;
      try {
        action = switch (actionName) {
          case "redirect" -> redirect(rc, path);
          case "no-action" -> new Rule.Action.NoAction(
              rc.hasPath("status") ? rc.getInt("status") : noActionStatus);
          case "block" -> new Rule.Action.Block(
              rc.hasPath("reason") ? rc.getString("reason") : DEFAULT_BLOCK_REASON);
          case "forbidden" -> Rule.Action.Forbidden.INSTANCE;
          default -> throw bad(rc.getValue("action").origin(), path + ".action",
              "must be redirect, no-action, block or forbidden, was '" + actionName + "'");
        };
      } catch (IllegalArgumentException e) {
        throw bad(obj.origin(), path, e.getMessage());
      }
      List<String> called = prefixes(rc, "called-prefix", path);
      List<String> caller = prefixes(rc, "caller-prefix", path);
      List<Cidr> sources = cidrs(rc, "source", path + ".source");
      Duration delay = rc.hasPath("delay") ? rc.getDuration("delay") : Duration.ZERO;
      boolean noAnswer = rc.hasPath("no-answer") && rc.getBoolean("no-answer");
      boolean drop = rc.hasPath("drop-connection") && rc.getBoolean("drop-connection");
      try {
        return new Rule(name, called, caller, sources, action, delay, noAnswer, drop);
      } catch (IllegalArgumentException e) {
        throw bad(obj.origin(), path, e.getMessage());
      }
    }

    private List<String> prefixes(Config rc, String key, String path) {
      List<String> out = new ArrayList<>();
      for (String p : strings(rc, key, path + "." + key)) {
        String n = Numbers.normalize(p.trim());
        if (n.isEmpty()) {
          throw bad(rc.getValue(key).origin(), path + "." + key, "empty prefix");
        }
        out.add(n);
      }
      return out;
    }

    private Rule.Action redirect(Config rc, String path) {
      List<String> dest = strings(rc, "destinations", path + ".destinations");
      List<Template> templates = new ArrayList<>();
      CallInfo sample = CallInfo.of("+14015550100", "+14045550100", null);
      for (String d : dest) {
        Template t;
        try {
          t = Template.compile(d.trim());
          Uri.parse(t.render(sample)); // must be a well-formed SIP, SIPS or tel URI
        } catch (IllegalArgumentException e) {
          throw bad(rc.getValue("destinations").origin(), path + ".destinations",
              e.getMessage());
        }
        String scheme = t.render(sample);
        if (!scheme.regionMatches(true, 0, "sip:", 0, 4)
            && !scheme.regionMatches(true, 0, "sips:", 0, 5)
            && !scheme.regionMatches(true, 0, "tel:", 0, 4)) {
          throw bad(rc.getValue("destinations").origin(), path + ".destinations",
              "destination '" + d + "' must be a sip:, sips: or tel: URI");
        }
        templates.add(t);
      }
      boolean identity = rc.hasPath("identity") && rc.getBoolean("identity");
      String attest = rc.hasPath("attest") ? rc.getString("attest").trim() : "A";
      Template pai = null;
      if (rc.hasPath("pai") && !rc.getString("pai").isBlank()) {
        try {
          pai = Template.compile(rc.getString("pai").trim());
        } catch (IllegalArgumentException e) {
          throw bad(rc.getValue("pai").origin(), path + ".pai", e.getMessage());
        }
      }
      String reason = rc.hasPath("reason") ? rc.getString("reason") : DEFAULT_REDIRECT_REASON;
      return new Rule.Action.Redirect(templates, identity, attest, pai, reason);
    }
  }
}
