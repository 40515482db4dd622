package clearip.proxy.ops.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a reload changes: every key whose value differs, split into those the running proxy
 * applies and those read only at start ("needs restart"), so an operator is never told
 * "reloaded" about a key that did nothing.
 *
 * @param applied keys changed since the configuration in force, applied by the reload
 * @param needRestart keys that differ from the configuration the proxy started with and that
 *     only a restart applies (still listed after a reload that applied other keys)
 */
public record ConfigChanges(List<String> applied, List<String> needRestart) {

  /**
   * Keys (or, ending in '.', sections) a reload applies: what calls read from their settings
   * each time, the allow-list, ClearIP's address and timeout, and certificate files, which are
   * read again for connections opened from then on.
   */
  private static final List<String> RELOADABLE = List.of("access.allow", "emergency.numbers",
      "upstream.uri", "upstream.timeout", "upstream.tls.", "calls.", "inline.",
      "shutdown.drain-timeout");

  /** In a reloadable section but read only at start. */
  private static final List<String> START_ONLY = List.of("calls.threads",
      "inline.max-destination-connections", "inline.udp-unreachable-failover",
      "inline.dialog-key");

  /** The TLS listener's files: re-read on reload, but only where the listener runs. */
  private static final List<String> LISTENER_TLS = List.of("listen.tls-certificate",
      "listen.tls-private-key", "listen.tls-client-ca");

  /**
   * @param started the configuration the proxy started with
   * @param running the configuration in force (the last one loaded)
   * @param next the configuration just read
   * @param tlsListener whether the proxy runs a TLS listener (its certificate files reload)
   */
  public static ConfigChanges between(Config started, Config running, Config next,
      boolean tlsListener) {
    List<String> applied = new ArrayList<>();
    for (String key : changedKeys(running, next)) {
      if (reloadable(key, tlsListener)) applied.add(key);
    }
    List<String> restart = new ArrayList<>();
    for (String key : changedKeys(started, next)) {
      if (!reloadable(key, tlsListener)) restart.add(key);
    }
    return new ConfigChanges(List.copyOf(applied), List.copyOf(restart));
  }

  public boolean none() {
    return applied.isEmpty() && needRestart.isEmpty();
  }

  /** E.g. "applied: access.allow, upstream.timeout; needs restart: calls.threads". */
  @Override
  public String toString() {
    if (none()) return "no key changed";
    StringBuilder sb = new StringBuilder();
    if (!applied.isEmpty()) sb.append("applied: ").append(String.join(", ", applied));
    if (!needRestart.isEmpty()) {
      if (sb.length() > 0) sb.append("; ");
      sb.append("needs restart: ").append(String.join(", ", needRestart));
    }
    return sb.toString();
  }

  static boolean reloadable(String key, boolean tlsListener) {
    if (!key.startsWith(ProxyConfig.ROOT + ".")) return false; // pekko's own: read at start
    String k = key.substring(ProxyConfig.ROOT.length() + 1);
    if (START_ONLY.contains(k)) return false;
    if (LISTENER_TLS.contains(k)) return tlsListener;
    for (String r : RELOADABLE) {
      if (r.endsWith(".") ? k.startsWith(r) : k.equals(r)) return true;
    }
    return false;
  }

  /** Full paths under clearip-proxy and pekko whose values differ, in alphabetical order. */
  static List<String> changedKeys(Config before, Config after) {
    Map<String, Object> a = leaves(before);
    Map<String, Object> b = leaves(after);
    List<String> out = new ArrayList<>();
    for (String key : union(a, b)) {
      if (!Objects.equals(a.get(key), b.get(key))) out.add(key);
    }
    return out;
  }

  private static Map<String, Object> leaves(Config c) {
    Map<String, Object> out = new TreeMap<>();
    for (String root : List.of(ProxyConfig.ROOT, "pekko")) {
      if (!c.hasPath(root)) continue;
      for (Map.Entry<String, ConfigValue> e : c.getConfig(root).entrySet()) {
        out.put(root + "." + e.getKey(), e.getValue().unwrapped());
      }
    }
    return out;
  }

  private static List<String> union(Map<String, Object> a, Map<String, Object> b) {
    TreeMap<String, Object> all = new TreeMap<>(a);
    all.putAll(b);
    return new ArrayList<>(all.keySet());
  }
}
