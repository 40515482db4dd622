package clearip.proxy.ops.config;

import clearip.proxy.actors.call.txn.CallSettings;
import clearip.proxy.ops.config.ConfigProblemException.Problem;
import clearip.proxy.ops.trace.TraceSettings;
import clearip.proxy.sip.codec.ParseLimits;
import clearip.proxy.streams.tls.ClientEngines;
import clearip.proxy.streams.tls.ClientTlsSettings;
import clearip.proxy.streams.tls.ServerEngines;
import clearip.proxy.streams.tls.ServerTlsSettings;
import clearip.proxy.streams.tls.TlsContexts;
import clearip.proxy.streams.tls.TlsMaterialException;
import clearip.proxy.streams.transport.AccessList;
import clearip.proxy.streams.transport.ListenerSettings;
import clearip.proxy.streams.upstream.UpstreamLinkSettings;
import clearip.proxy.streams.upstream.UpstreamSettings;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The proxy's configuration, read from HOCON under {@code clearip-proxy} (see reference.conf)
 * into the settings of each module, with every problem reported at once and precisely: unknown
 * keys, bad values, bad CIDRs, unreadable certificates, port clashes.
 */
public record ProxyConfig(Mode mode, ListenerSettings listeners, ServerTlsSettings serverTls,
    AccessList access, UpstreamSettings upstream, ClientTlsSettings upstreamTls,
    CallSettings calls, Config raw) {

  /** Call trace settings (section trace), validated when the configuration was read. */
  public TraceSettings trace() {
    return new Reader(raw.getConfig(ROOT), new ArrayList<>()).trace();
  }

  /**
   * Threads of the dispatcher that runs calls and connections: {@code calls.threads}, or one per
   * CPU core (at least 2) when it is 0.
   */
  public int dispatcherThreads() {
    int n = raw.getInt(ROOT + ".calls.threads");
    return n > 0 ? n : Math.max(2, Runtime.getRuntime().availableProcessors());
  }

  /**
   * In-line mode with Record-Route: the key that marks the dialogs this proxy screened, shared
   * by the nodes configured with the same {@code inline.dialog-key}; a key of this process alone
   * when none is set.
   */
  public clearip.proxy.actors.call.txn.DialogTokens dialogTokens() {
    String k = raw.getString(ROOT + ".inline.dialog-key");
    return k.isEmpty() ? clearip.proxy.actors.call.txn.DialogTokens.random()
        : clearip.proxy.actors.call.txn.DialogTokens.of(k);
  }

  /** The host written in Via/Record-Route when listening on a wildcard address ("" = own). */
  public String advertise() {
    return raw.getString(ROOT + ".listen.advertise");
  }

  /** Where the admin HTTP endpoint (/metrics, /health, /ready) listens; null when it is off. */
  public InetSocketAddress adminListen() {
    String a = raw.getString(ROOT + ".admin.listen");
    return a.isEmpty() ? null : parseHostPort(a);
  }

  /** How in-line mode opens connections to destinations. */
  public clearip.proxy.streams.transport.SenderSettings senderSettings() {
    return clearip.proxy.streams.transport.SenderSettings.defaults()
        .withMaxConnections(raw.getInt(ROOT + ".inline.max-destination-connections"))
        .withUnreachableWatch(raw.getBoolean(ROOT + ".inline.udp-unreachable-failover"));
  }

  /** The admin endpoint's limits: time per exchange, open connections. */
  public AdminSettings adminSettings() {
    return new AdminSettings(
        raw.getDuration(ROOT + ".admin.request-timeout"),
        raw.getInt(ROOT + ".admin.max-connections"));
  }

  /** This node's place in a fleet; {@code enabled} false when it runs alone. */
  public ClusterSettings cluster() {
    return new Reader(raw.getConfig(ROOT), new ArrayList<>()).cluster();
  }

  /** How a fresh proxy warms up before it takes calls (validated when the file was read). */
  public WarmUpSettings warmUp() {
    return new Reader(raw.getConfig(ROOT), new ArrayList<>()).warmUp();
  }

  /**
   * This configuration with {@code overrides} on top, read again; unlike {@link #from}, system
   * properties do not win over the overrides (they are in {@link #raw} already, below them).
   */
  public ProxyConfig with(Config overrides) throws ConfigProblemException {
    List<Problem> problems = new ArrayList<>();
    Config c;
    try {
      c = overrides.withFallback(raw).resolve();
    } catch (ConfigException e) {
      throw new ConfigProblemException(List.of(e.getMessage()));
    }
    ProxyConfig pc = new Reader(c.getConfig(ROOT), problems).read(c);
    if (!problems.isEmpty()) throw ConfigProblemException.of(problems);
    return pc;
  }

  /** How long a drain (or a stop by SIGTERM) lets calls in flight finish. */
  public Duration drainTimeout() {
    return raw.getDuration(ROOT + ".shutdown.drain-timeout");
  }

  public enum Mode {
    TLS_PROXY("tls-proxy"),
    INLINE("inline");

    private final String text;

    Mode(String text) {
      this.text = text;
    }

    @Override
    public String toString() {
      return text;
    }
  }

  public static final String ROOT = "clearip-proxy";

  /** Loads a file over the defaults; system properties win over both. */
  public static ProxyConfig load(Path file) throws ConfigProblemException {
    if (!Files.isReadable(file)) {
      throw new ConfigProblemException(List.of(file + ": cannot read the file"));
    }
    Config user;
    try {
      user = ConfigFactory.parseFile(file.toFile(),
          ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new ConfigProblemException(List.of(e.getMessage()));
    }
    List<Problem> problems = new ArrayList<>();
    for (String root : user.root().keySet()) {
      // a misspelt root ("clearip-proxi { }") or keys without one ("mode = inline") would
      // otherwise be ignored in silence, and the proxy run on its defaults
      if (!root.equals(ROOT) && !root.equals("pekko")) {
        ConfigValue v = user.root().get(root);
        problems.add(new Problem(lineOf(v), where(v) + "unknown key " + root
            + " (the proxy reads " + ROOT + " { ... }, and pekko { ... } for Pekko's own settings)"));
      }
    }
    ProxyConfig pc = null;
    try {
      pc = read(user, problems);
    } catch (ConfigProblemException e) { // the file does not resolve: Typesafe Config's message
      e.problems().forEach(text -> problems.add(new Problem(0, text)));
    }
    if (!problems.isEmpty()) throw ConfigProblemException.of(problems);
    return pc;
  }

  /** The defaults, with system properties on top (the demo and tests adjust from here). */
  public static ProxyConfig defaults() throws ConfigProblemException {
    return from(ConfigFactory.empty());
  }

  /** Reads {@code user} (may be empty) over the reference defaults. */
  public static ProxyConfig from(Config user) throws ConfigProblemException {
    List<Problem> problems = new ArrayList<>();
    ProxyConfig pc = read(user, problems);
    if (!problems.isEmpty()) throw ConfigProblemException.of(problems);
    return pc;
  }

  /** Reads {@code user} over the defaults, adding what is wrong to {@code problems}. */
  private static ProxyConfig read(Config user, List<Problem> problems)
      throws ConfigProblemException {
    unknownKeys(user, problems);
    Config c;
    try {
      c = ConfigFactory.systemProperties().withFallback(user)
          .withFallback(ConfigFactory.defaultReference()).resolve();
    } catch (ConfigException e) {
      throw new ConfigProblemException(List.of(e.getMessage()));
    }
    return new Reader(c.getConfig(ROOT), problems).read(c);
  }

  /** Every key under clearip-proxy that reference.conf does not define is a mistake. */
  private static void unknownKeys(Config user, List<Problem> problems) {
    if (!user.hasPath(ROOT)) return;
    Config reference = ConfigFactory.defaultReference().getConfig(ROOT);
    for (Map.Entry<String, ConfigValue> e : user.getConfig(ROOT).entrySet()) {
      if (!reference.hasPathOrNull(e.getKey())) {
        problems.add(new Problem(lineOf(e.getValue()),
            where(e.getValue()) + "unknown key " + ROOT + "." + e.getKey()));
      }
    }
  }

  static int lineOf(ConfigValue v) {
    var o = v.origin();
    return o == null || o.filename() == null ? 0 : Math.max(0, o.lineNumber());
  }

  static String where(ConfigValue v) {
    var o = v.origin();
    if (o == null || o.filename() == null) return "";
    return new File(o.filename()).getName() + ":" + o.lineNumber() + ": ";
  }

  /** Builds the TLS engines, proving the certificate files are usable. */
  public ServerEngines serverEngines() throws TlsMaterialException {
    return serverTls == null ? null : TlsContexts.server(serverTls);
  }

  public ClientEngines upstreamEngines() throws TlsMaterialException {
    return TlsContexts.client(upstreamTls);
  }

  /** Reads one section at a time, collecting problems instead of stopping at the first. */
  private static final class Reader {
    final Config c;
    final List<Problem> problems;

    Reader(Config c, List<Problem> problems) {
      this.c = c;
      this.problems = problems;
    }

    ProxyConfig read(Config full) {
      Mode mode = mode();
      nonNegativeInt("calls.threads"); // read by dispatcherThreads(); checked here
      String serverName = string("server-name", "clearip-proxy");
      ParseLimits limits = limits();
      List<InetSocketAddress> udp = addresses("listen.udp");
      List<InetSocketAddress> tcp = addresses("listen.tcp");
      List<InetSocketAddress> tls = addresses("listen.tls");
      portClashes(tcp, tls);
      ServerTlsSettings serverTls = serverTls(tls);
      if (serverTls == null) tls = List.of();
      ListenerSettings listeners = null;
      try {
        listeners = new ListenerSettings(udp, tcp, tls, limits,
            duration("listen.idle-timeout"), duration("listen.tls-handshake-timeout"),
            duration("listen.first-message-timeout"), duration("listen.message-timeout"),
            positiveInt("listen.max-connections"), positiveInt("listen.max-connections-per-source"),
            positiveInt("listen.connection-queue-size"), nonNegativeInt("listen.udp-receive-buffer"),
            1024, serverName);
      } catch (IllegalArgumentException e) {
        if (problems.isEmpty()) problems.add(new Problem(0, "listen: " + e.getMessage()));
      }
      AccessList access = access();
      UpstreamSettings upstream = upstream();
      ClientTlsSettings upstreamTls = upstreamTls();
      CallSettings calls = calls(serverName);
      if (mode == Mode.INLINE) calls = calls.withInline(inline());
      operations();
      warmUp(); // for its problems; read again by warmUp()
      cluster(); // for its problems; read again by cluster()
      trace(); // for its problems; read again by trace()
      return new ProxyConfig(mode, listeners, serverTls, access, upstream, upstreamTls, calls,
          full);
    }

    WarmUpSettings warmUp() {
      boolean enabled = bool("warmup.enabled");
      Duration min = durationOrZero("warmup.min-time");
      Duration max = duration("warmup.max-time");
      if (max.compareTo(min) < 0) {
        problem("warmup.max-time", "must not be less than warmup.min-time (" + min + ")");
        return new WarmUpSettings(enabled, min, min);
      }
      return new WarmUpSettings(enabled, min, max);
    }

    ClusterSettings cluster() {
      boolean enabled = bool("cluster.enabled");
      Duration stableAfter = duration("cluster.stable-after");
      Duration penalty = durationOrZero("inline.shared-penalty");
      InetSocketAddress bind = null;
      try {
        bind = parseHostPort(string("cluster.bind", ""));
        if (bind.getPort() == 0 || bind.getAddress().isAnyLocalAddress()) {
          problem("cluster.bind", "must name this node's own address and a port, e.g. "
              + "10.0.0.11:25520 (it is the node's name in the fleet)");
        }
      } catch (IllegalArgumentException e) {
        if (enabled) problem("cluster.bind", e.getMessage());
      }
      List<InetSocketAddress> seeds = new ArrayList<>();
      for (String s : strings("cluster.seed-nodes")) {
        try {
          InetSocketAddress a = parseHostPort(s);
          if (a.getPort() == 0) throw new IllegalArgumentException("'" + s + "' has no port");
          seeds.add(a);
        } catch (IllegalArgumentException e) {
          problem("cluster.seed-nodes", e.getMessage());
        }
      }
      Path cert = pemFile("cluster.tls-certificate", enabled);
      Path key = pemFile("cluster.tls-private-key", enabled);
      if (enabled && key != null && Files.isReadable(key)) rsaKey("cluster.tls-private-key", key);
      Path ca = pemFile("cluster.tls-ca-file", enabled);
      if (enabled && seeds.isEmpty()) {
        problem("cluster.seed-nodes", "list at least one node (the same list on every node)");
      }
      return new ClusterSettings(enabled, bind, List.copyOf(seeds), cert, key, ca, stableAfter,
          penalty);
    }

    /** A PEM file the cluster needs: required and readable when the cluster is on. */
    Path pemFile(String key, boolean required) {
      String f = string(key, "");
      if (f.isEmpty()) {
        if (required) problem(key, "required when cluster.enabled = on (a PEM file)");
        return null;
      }
      Path p = Path.of(f);
      if (required && !Files.isReadable(p)) problem(key, "cannot read " + f);
      return p;
    }

    /**
     * The cluster's TLS reads RSA keys only, PKCS#1 or unencrypted PKCS#8: anything else would
     * fail only at the first handshake, with a message naming no key.
     */
    void rsaKey(String key, Path file) {
      String pem;
      try {
        pem = Files.readString(file, StandardCharsets.US_ASCII);
      } catch (java.io.IOException e) {
        problem(key, "cannot read " + file);
        return;
      }
      if (pem.contains("-----BEGIN RSA PRIVATE KEY-----")) return;
      int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
      int end = pem.indexOf("-----END PRIVATE KEY-----");
      if (begin >= 0 && end > begin) {
        try {
          byte[] der = java.util.Base64.getMimeDecoder().decode(
              pem.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
          java.security.KeyFactory.getInstance("RSA")
              .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
          return;
        } catch (IllegalArgumentException | java.security.GeneralSecurityException e) {
          // not RSA: reported below
        }
      }
      problem(key, file + " is not an RSA private key in PEM (PKCS#1 \"RSA PRIVATE KEY\" or "
          + "unencrypted PKCS#8 \"PRIVATE KEY\"); the cluster's TLS takes no other");
    }

    /** Checks the admin endpoint and shutdown keys (read later through the accessors). */
    void operations() {
      duration("admin.request-timeout");
      positiveInt("admin.max-connections");
      String admin = string("admin.listen", "");
      if (!admin.isEmpty()) {
        try {
          parseHostPort(admin);
        } catch (IllegalArgumentException e) {
          problem("admin.listen", e.getMessage());
        }
      }
      duration("shutdown.drain-timeout");
    }

    Mode mode() {
      String m = string("mode", "tls-proxy");
      for (Mode x : Mode.values()) {
        if (x.text.equals(m)) return x;
      }
      problem("mode", "must be tls-proxy or inline, was '" + m + "'");
      return Mode.TLS_PROXY;
    }

    ParseLimits limits() {
      try {
        return new ParseLimits(positiveInt("listen.max-message-size"),
            positiveInt("listen.max-start-line"), positiveInt("listen.max-headers"),
            positiveInt("listen.max-header-line"), positiveInt("listen.max-via"));
      } catch (IllegalArgumentException e) {
        return ParseLimits.DEFAULT; // the bad key was reported already
      }
    }

    List<InetSocketAddress> addresses(String key) {
      List<InetSocketAddress> out = new ArrayList<>();
      for (String s : strings(key)) {
        try {
          out.add(parseHostPort(s));
        } catch (IllegalArgumentException e) {
          problem(key, e.getMessage());
        }
      }
      return out;
    }

    void portClashes(List<InetSocketAddress> tcp, List<InetSocketAddress> tls) {
      List<InetSocketAddress> all = new ArrayList<>(tcp);
      all.addAll(tls);
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < all.size(); i++) {
        for (int j = i + 1; j < all.size(); j++) {
          InetSocketAddress a = all.get(i);
          InetSocketAddress b = all.get(j);
          boolean overlap = a.getPort() == b.getPort() && a.getPort() != 0
              && (a.getAddress().equals(b.getAddress()) || a.getAddress().isAnyLocalAddress()
                  || b.getAddress().isAnyLocalAddress());
          if (overlap && seen.add(a + "|" + b)) {
            problem(i < tcp.size() && j >= tcp.size() ? "listen.tls" : "listen.tcp",
                "port clash: " + a + " and " + b + " are both TCP sockets on port " + a.getPort());
          }
        }
      }
    }

    ServerTlsSettings serverTls(List<InetSocketAddress> tls) {
      String cert = string("listen.tls-certificate", "");
      String key = string("listen.tls-private-key", "");
      String ca = string("listen.tls-client-ca", "");
      if (tls.isEmpty()) return null;
      if (cert.isEmpty() && key.isEmpty()) return null; // TLS listener off; logged at start
      if (cert.isEmpty() || key.isEmpty()) {
        problem("listen.tls-certificate", "tls-certificate and tls-private-key go together");
        return null;
      }
      ServerTlsSettings s = ServerTlsSettings.of(Path.of(cert), Path.of(key));
      if (!ca.isEmpty()) s = s.requireClientCertificates(Path.of(ca));
      try {
        TlsContexts.check(s);
      } catch (TlsMaterialException e) {
        problem("listen.tls-certificate", e.getMessage());
      }
      return s;
    }

    AccessList access() {
      List<String> cidrs = strings("access.allow");
      boolean bad = false;
      for (int i = 0; i < cidrs.size(); i++) {
        try { // each entry on its own, so every bad one is reported at once
          AccessList.parseBlock(cidrs.get(i));
        } catch (IllegalArgumentException e) {
          problem("access.allow", "allow-list entry " + (i + 1) + " \"" + cidrs.get(i) + "\": "
              + e.getMessage());
          bad = true;
        }
      }
      return bad ? AccessList.LOOPBACK_ONLY : AccessList.parse(cidrs);
    }

    UpstreamSettings upstream() {
      String uri = string("upstream.uri", UpstreamSettings.DEFAULT_URI);
      UpstreamSettings u;
      try {
        u = UpstreamSettings.fromUri(uri);
      } catch (IllegalArgumentException e) {
        problem("upstream.uri", e.getMessage());
        u = UpstreamSettings.fromUri(UpstreamSettings.DEFAULT_URI);
      }
      try {
        return new UpstreamSettings(u.uri(), u.transport(), u.host(), u.port(),
            positiveInt("upstream.connections"),
            new UpstreamLinkSettings(positiveInt("upstream.queue-size"),
                duration("upstream.connect-timeout"), duration("upstream.handshake-timeout"),
                Duration.ZERO, limits()),
            durationOrZero("upstream.keep-alive-interval"),
            durationOrZero("upstream.ping-interval"), duration("upstream.ping-timeout"),
            nonNegativeInt("upstream.max-consecutive-timeouts"),
            duration("upstream.reconnect-min-backoff"), duration("upstream.reconnect-max-backoff"),
            fraction("upstream.reconnect-jitter"), duration("upstream.drain-timeout"));
      } catch (IllegalArgumentException e) {
        problem("upstream", e.getMessage());
        return u;
      }
    }

    ClientTlsSettings upstreamTls() {
      ClientTlsSettings s = ClientTlsSettings.defaults()
          .withHostnameVerification(bool("upstream.tls.verify-hostname"));
      String ca = string("upstream.tls.ca-file", "");
      if (!ca.isEmpty()) s = s.withCaBundle(Path.of(ca));
      String cert = string("upstream.tls.client-certificate", "");
      String key = string("upstream.tls.client-private-key", "");
      if (cert.isEmpty() != key.isEmpty()) {
        problem("upstream.tls.client-certificate",
            "client-certificate and client-private-key go together");
      } else if (!cert.isEmpty()) {
        s = s.withClientCertificate(Path.of(cert), Path.of(key));
      }
      try {
        TlsContexts.check(s);
      } catch (TlsMaterialException e) {
        problem("upstream.tls", e.getMessage());
      }
      return s;
    }

    clearip.proxy.actors.call.txn.InlineSettings inline() {
      Set<Integer> stop = new HashSet<>();
      try {
        for (Integer code : c.getIntList("inline.stop-codes")) {
          if (code < 300 || code > 699) {
            problem("inline.stop-codes", code + " is not a failure status (300-699)");
          } else {
            stop.add(code);
          }
        }
      } catch (ConfigException e) {
        problem("inline.stop-codes", "must be a list of status codes");
      }
      String allFailed = string("inline.all-failed-response", "best");
      if (!allFailed.equals("best") && !allFailed.equals("503")) {
        problem("inline.all-failed-response", "must be best or 503, was '" + allFailed + "'");
      }
      int attempts = positiveInt("inline.max-attempts");
      positiveInt("inline.max-destination-connections");
      bool("inline.udp-unreachable-failover");
      String dialogKey = string("inline.dialog-key", "");
      if (!dialogKey.isEmpty() && dialogKey.getBytes(StandardCharsets.UTF_8).length < 16) {
        problem("inline.dialog-key", "must be at least 16 bytes (or empty for a key of this"
            + " process alone)");
      }
      return new clearip.proxy.actors.call.txn.InlineSettings(attempts,
          duration("inline.no-answer-timeout"), duration("inline.ring-timeout"), Set.copyOf(stop),
          bool("inline.stop-after-ringing"), allFailed.equals("503"),
          bool("inline.copy-p-asserted-identity"), largeInvites(), bool("inline.record-route"));
    }

    private clearip.proxy.actors.call.txn.InlineSettings.LargeInvites largeInvites() {
      int max = nonNegativeInt("inline.udp-max-size");
      boolean fallback = bool("inline.udp-fallback");
      Duration connect = duration("inline.tcp-connect-timeout");
      Duration remember = durationOrZero("inline.udp-fallback-memory");
      return new clearip.proxy.actors.call.txn.InlineSettings.LargeInvites(max, fallback, connect,
          remember);
    }

    TraceSettings trace() {
      TraceSettings d = TraceSettings.defaults();
      String file = string("trace.file", "");
      long maxSize = d.maxFileSize();
      try {
        maxSize = c.getBytes("trace.max-file-size");
        if (maxSize < (1L << 20)) {
          problem("trace.max-file-size", "must be at least 1MiB");
          maxSize = d.maxFileSize();
        }
      } catch (ConfigException e) {
        problem("trace.max-file-size", "must be a size such as 100MiB");
      }
      InetSocketAddress collector = null;
      String hep = string("trace.hep.collector", "");
      if (!hep.isEmpty()) {
        try {
          collector = parseCollector(hep);
        } catch (IllegalArgumentException e) {
          problem("trace.hep.collector", e.getMessage());
        }
      }
      int captureId = 0;
      try {
        long id = c.getLong("trace.hep.capture-id");
        if (id < 0 || id > 0xffff_ffffL) {
          problem("trace.hep.capture-id", "must be between 0 and 4294967295");
        } else {
          captureId = (int) id;
        }
      } catch (ConfigException e) {
        problem("trace.hep.capture-id", "must be a whole number");
      }
      return new TraceSettings(bool("trace.enabled"),
          file.isEmpty() ? null : Path.of(file), maxSize, positiveInt("trace.max-files"),
          positiveInt("trace.queue-size"), collector, captureId,
          string("trace.hep.password", ""));
    }

    CallSettings calls(String serverName) {
      Set<String> emergency = new LinkedHashSet<>();
      for (String n : strings("emergency.numbers")) {
        String digits = n.replaceAll("[-.() ]", "");
        if (digits.isEmpty() || !digits.matches("\\+?[0-9*#]+")) {
          problem("emergency.numbers", "'" + n + "' is not a phone number");
        } else {
          emergency.add(digits);
        }
      }
      Set<String> options = new HashSet<>();
      for (String o : strings("calls.supported-proxy-require")) {
        options.add(o.toLowerCase(Locale.ROOT));
      }
      return new CallSettings(duration("upstream.timeout"), Set.copyOf(emergency),
          duration("calls.t1"), duration("calls.t2"), Set.copyOf(options), serverName, "cip",
          bool("calls.options-503-when-upstream-down"), positiveInt("calls.max-in-flight"),
          durationOrZero("calls.max-dispatch-delay"),
          durationOrZero("calls.overload-retry-after"), null);
    }

    // ---- typed getters that record problems ----

    void problem(String key, String what) {
      String at = "";
      int line = 0;
      if (c.hasPathOrNull(key)) {
        at = where(c.getValue(key));
        line = lineOf(c.getValue(key));
      }
      problems.add(new Problem(line, at + ROOT + "." + key + ": " + what));
    }

    String string(String key, String fallback) {
      try {
        return c.getString(key);
      } catch (ConfigException e) {
        problem(key, "must be a string");
        return fallback;
      }
    }

    List<String> strings(String key) {
      try {
        return c.getStringList(key);
      } catch (ConfigException e) {
        problem(key, "must be a list of strings");
        return List.of();
      }
    }

    boolean bool(String key) {
      try {
        return c.getBoolean(key);
      } catch (ConfigException e) {
        problem(key, "must be on or off");
        return true;
      }
    }

    Duration duration(String key) {
      Duration d = durationOrZero(key);
      if (d.isZero()) {
        problem(key, "must be a positive duration such as 500ms or 2s");
        return Duration.ofSeconds(1);
      }
      return d;
    }

    Duration durationOrZero(String key) {
      try {
        Duration d = c.getDuration(key);
        if (d.isNegative()) {
          problem(key, "must not be negative");
          return Duration.ofSeconds(1);
        }
        return d;
      } catch (ConfigException e) {
        problem(key, "must be a duration such as 500ms, 2s or 10m");
        return Duration.ofSeconds(1);
      }
    }

    int positiveInt(String key) {
      int v = nonNegativeInt(key);
      if (v == 0) {
        problem(key, "must be at least 1");
        return 1;
      }
      return v;
    }

    int nonNegativeInt(String key) {
      try {
        int v = c.getInt(key);
        if (v < 0) {
          problem(key, "must not be negative");
          return 1;
        }
        return v;
      } catch (ConfigException e) {
        problem(key, "must be a whole number");
        return 1;
      }
    }

    double fraction(String key) {
      try {
        double v = c.getDouble(key);
        if (v < 0 || v > 1) problem(key, "must be between 0 and 1");
        return v;
      } catch (ConfigException e) {
        problem(key, "must be a number between 0 and 1");
        return 0.2;
      }
    }
  }

  /** Parses the HEP collector's {@code host:port} or {@code [v6]:port}; names resolve later. */
  static InetSocketAddress parseCollector(String s) {
    int colon = s.lastIndexOf(':');
    String host = colon > 0 ? s.substring(0, colon) : "";
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port = -1;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      // reported below
    }
    if (host.isEmpty() || port < 1 || port > 65_535 || (host.contains(":") && !s.startsWith("["))) {
      throw new IllegalArgumentException("'" + s + "' is not host:port");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** Parses {@code host:port}, {@code [v6]:port}; the host must be a literal address. */
  static InetSocketAddress parseHostPort(String s) {
    String host;
    String port;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
        throw new IllegalArgumentException("'" + s + "' is not [ipv6]:port");
      }
      host = s.substring(1, close);
      port = s.substring(close + 2);
    } else {
      int colon = s.lastIndexOf(':');
      if (colon <= 0 || s.indexOf(':') != colon) {
        throw new IllegalArgumentException("'" + s + "' is not host:port");
      }
      host = s.substring(0, colon);
      port = s.substring(colon + 1);
    }
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + s + "' has no valid port");
    }
    if (p < 0 || p > 65_535) throw new IllegalArgumentException("'" + s + "': port out of range");
    if (!host.matches("[0-9.]+") && !host.contains(":") && !host.equals("localhost")) {
      throw new IllegalArgumentException("'" + s + "': listen on an IP address, not a name");
    }
    return new InetSocketAddress(host, p);
  }
}
