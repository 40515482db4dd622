package clearip.proxy.ops.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The production packages of every module form no dependency loop (read from the compiled
 * classes with the JDK's jdeps), so each concern can be read on its own, lower packages first.
 */
class PackageCyclesTest {
  private static final Pattern EDGE =
      Pattern.compile("^\\s+(clearip\\.proxy\\.[\\w.]+)\\s+->\\s+(clearip\\.proxy\\.[\\w.]+)\\s");
  /** Package to the packages it uses directly; read once for all tests. */
  private static Map<String, Set<String>> cached;

  @Test
  void productionPackagesHaveNoDependencyLoops() throws Exception {
    Map<String, Set<String>> edges = edges();
    List<Set<String>> loops = new ArrayList<>();
    for (String p : edges.keySet()) {
      Set<String> loop = new TreeSet<>();
      for (String q : reachable(edges, p)) {
        if (reachable(edges, q).contains(p)) loop.add(q);
      }
      if (!loop.isEmpty() && !loops.contains(loop)) loops.add(loop);
    }
    assertEquals(List.of(), loops, "packages that depend on each other");
  }

  /**
   * The operator's channels and what they read see the proxy through narrow interfaces
   * (admin.ManagedProxy, jmx.ProxyControl, admin.Readiness, admin.SharedSettings), not through
   * the server that assembles it nor the launcher that wires them together.
   */
  @Test
  void operationsPackagesDoNotReachTheServer() throws Exception {
    Map<String, Set<String>> edges = edges();
    for (String p : List.of("admin", "jmx", "trace", "metrics", "config", "cluster")) {
      assertTrue(edges.containsKey("clearip.proxy.ops." + p), "jdeps saw ops." + p);
      Set<String> reached = reachable(edges, "clearip.proxy.ops." + p);
      for (String q : List.of("clearip.proxy.ops.server", "clearip.proxy.ops.launcher")) {
        assertFalse(reached.contains(q), "clearip.proxy.ops." + p + " depends on " + q);
      }
    }
  }

  private static synchronized Map<String, Set<String>> edges() throws Exception {
    if (cached != null) return cached;
    List<String> roots = new ArrayList<>();
    for (Class<?> c : List.of(clearip.proxy.sip.codec.SipDecoder.class,
        clearip.proxy.streams.transport.TransportEndpoints.class,
        clearip.proxy.actors.routing.CallRegistry.class,
        clearip.proxy.ops.server.ProxyServer.class)) {
      roots.add(location(c));
    }
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElse(null);
    assumeTrue(jdeps != null, "skipped: this JDK has no jdeps tool (install a full JDK, e.g. "
        + "Debian's openjdk-17-jdk-headless)");
    Map<String, Set<String>> edges = new HashMap<>();
    for (String root : roots) {
      StringWriter out = new StringWriter();
      int rc = jdeps.run(new PrintWriter(out), new PrintWriter(new StringWriter()),
          "-verbose:package", "-filter:none", "-cp", String.join(java.io.File.pathSeparator, roots),
          root);
      assertEquals(0, rc, out.toString());
      for (String line : out.toString().split("\n")) {
        Matcher m = EDGE.matcher(line + " ");
        if (m.find() && !m.group(1).equals(m.group(2))) {
          edges.computeIfAbsent(m.group(1), k -> new HashSet<>()).add(m.group(2));
        }
      }
    }
    assertTrue(edges.size() > 10, "jdeps saw the packages: " + edges.keySet());
    cached = edges;
    return edges;
  }

  private static Set<String> reachable(Map<String, Set<String>> edges, String from) {
    Set<String> seen = new HashSet<>();
    List<String> todo = new ArrayList<>(edges.getOrDefault(from, Set.of()));
    while (!todo.isEmpty()) {
      String p = todo.remove(todo.size() - 1);
      if (seen.add(p)) todo.addAll(edges.getOrDefault(p, Set.of()));
    }
    return seen;
  }

  private static String location(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
