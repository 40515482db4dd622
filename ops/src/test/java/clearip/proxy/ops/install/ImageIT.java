package clearip.proxy.ops.install;

import static clearip.proxy.ops.install.InstallScriptTest.run;
import static clearip.proxy.ops.install.InstallScriptTest.which;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import clearip.proxy.ops.install.InstallScriptTest.Run;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The container image src/dist/image/build-image.sh makes from the packaged jar: its
 * configuration (non-root user, entrypoint, ports), its layout, and the unpacked root file
 * system running the proxy as the image's user (chroot, as root; skipped where not permitted).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageIT {
  static final String JAR = "/usr/share/clearip-proxy/clearip-proxy.jar";
  static final String JAVA = "/opt/java/bin/java";
  static final ObjectMapper JSON = new ObjectMapper();

  Path out;
  String tag;
  JsonNode config;
  Path rootfs;

  @BeforeAll
  void build() throws Exception {
    for (String tool : List.of("umoci", "skopeo", "jlink", "ldd", "dpkg")) {
      assumeTrue(which(tool) != null, tool + " is not installed; skipping the image checks");
    }
    Path jlink = Path.of(which("jlink")).toRealPath();
    assumeTrue(Files.isDirectory(jlink.getParent().getParent().resolve("jmods")),
        "the JDK of " + jlink + " has no jmods (Debian 12: openjdk-17-jdk-headless); skipping the image");
    Path target = Path.of("target").toAbsolutePath();
    out = target.resolve("image");
    long started = System.nanoTime();
    Run r = run(target, List.of("bash", Path.of("src", "dist", "image", "build-image.sh")
        .toAbsolutePath().toString(), "--jar", target.resolve("clearip-proxy.jar").toString(),
        "--out", out.toString()), null, 600);
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
    assertEquals(0, r.exit(), r.output());
    JsonNode index = JSON.readTree(out.resolve("oci/index.json").toFile());
    tag = index.get("manifests").get(0).get("annotations")
        .get("org.opencontainers.image.ref.name").asText();
    Run inspect = run(target, List.of("skopeo", "inspect", "--config",
        "oci:" + out.resolve("oci") + ":" + tag), null);
    assertEquals(0, inspect.exit(), inspect.output());
    config = JSON.readTree(inspect.output()).get("config");
    Path archive = out.resolve("clearip-proxy-" + tag + ".tar");
    System.out.printf("image clearip-proxy:%s built in %d s; %s: %d MB; OCI layout: %d MB%n",
        tag, seconds, archive.getFileName(), Files.size(archive) >> 20, size(out.resolve("oci"))
        >> 20);
  }

  static long size(Path dir) throws IOException {
    try (var s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  @Test
  void runsAsAUserThatIsNotRoot() {
    String user = config.get("User").asText();
    assertEquals("10001:10001", user);
    assertNotEquals("0", user.split(":")[0]);
  }

  @Test
  void entrypointRunsThePackagedJarWithTheShippedConfiguration() {
    assertEquals(List.of(JAVA, "-jar", JAR), strings(config.get("Entrypoint")));
    assertEquals(List.of("run", "--config", "/etc/clearip-proxy/clearip-proxy.conf"),
        strings(config.get("Cmd")));
    assertEquals("/var/lib/clearip-proxy", config.get("WorkingDir").asText());
    assertTrue(strings(config.get("Env")).stream()
        .anyMatch(e -> e.startsWith("JDK_JAVA_OPTIONS=") && e.contains("-Xmx")), config::toString);
  }

  @Test
  void exposesTheSipPortsAndTheAdminPort() {
    Set<String> ports = new TreeSet<>();
    config.get("ExposedPorts").fieldNames().forEachRemaining(ports::add);
    assertEquals(Set.of("5060/udp", "5060/tcp", "5061/tcp", "9060/tcp"), ports);
  }

  @Test
  void theDockerArchiveHoldsTheSameImage() throws Exception {
    Run r = run(out, List.of("skopeo", "inspect", "--config",
        "docker-archive:" + out.resolve("clearip-proxy-" + tag + ".tar")), null);
    assertEquals(0, r.exit(), r.output());
    assertEquals(config, JSON.readTree(r.output()).get("config"));
  }

  @Test
  void theRootFileSystemHoldsRuntimeJarConfigurationAndUser() throws Exception {
    Path root = unpacked();
    assertTrue(Files.isExecutable(root.resolve("opt/java/bin/java")));
    assertTrue(Files.size(root.resolve(JAR.substring(1))) > 1_000_000);
    String conf = Files.readString(root.resolve("etc/clearip-proxy/clearip-proxy.conf"));
    assertTrue(conf.contains("\n  admin.listen = \"0.0.0.0:9060\""), conf);
    assertTrue(Files.readString(root.resolve("etc/passwd"))
        .contains("\nclearip-proxy:x:10001:10001:"));
    assertTrue(Files.readString(root.resolve("usr/share/doc/clearip-proxy/image-packages.txt"))
        .contains(" libc6:"));
    Path traces = root.resolve("var/lib/clearip-proxy/traces");
    assertTrue(Files.isDirectory(traces));
    if (isRoot()) assertEquals(10001, Files.getAttribute(traces, "unix:uid"));
    // no shell, no package manager: the runtime, the libraries it loads, the proxy
    assertTrue(!Files.exists(root.resolve("bin/sh")));
  }

  @Test
  void theImagesJavaRunsTheJarAsTheImagesUser() throws Exception {
    Run version = inImage(List.of(JAVA, "-Xmx64m", "-jar", JAR, "version"));
    assertEquals(0, version.exit(), version.output());
    assertTrue(version.output().contains("clearip-proxy " + tag), version.output());
    Run check = inImage(List.of(JAVA, "-Xmx64m", "-jar", JAR, "check-config",
        "/etc/clearip-proxy/clearip-proxy.conf"));
    assertEquals(0, check.exit(), check.output());
  }

  @Test
  void theImageRunsTheProxyUntilSigterm() throws Exception {
    Path root = unpacked();
    int sip = freePort();
    int admin = freePort();
    // as a configuration mounted into the container would be, on loopback ports of this host
    Files.writeString(root.resolve("tmp/test.conf"), String.join("\n",
        "clearip-proxy {",
        "  listen { udp = [\"127.0.0.1:" + sip + "\"], tcp = [\"127.0.0.1:" + sip + "\"],"
            + " tls = [] }",
        "  upstream.uri = \"sip:127.0.0.1:1;transport=tcp\"",
        "  admin.listen = \"127.0.0.1:" + admin + "\"",
        "  warmup.enabled = off",
        "  trace.file = \"/var/lib/clearip-proxy/traces/clearip-proxy.pcap\"",
        "}", ""));
    Path log = out.resolve("run.log");
    Process p = start(List.of(JAVA, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-jar", JAR, "run",
        "--config", "/tmp/test.conf"), log);
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      HttpResponse<String> ready = null;
      while (ready == null) {
        assertTrue(p.isAlive(), () -> "the proxy in the image exited:\n" + read(log));
        assertTrue(System.nanoTime() < deadline, () -> "no admin endpoint:\n" + read(log));
        try {
          ready = http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + admin + "/ready")).build(),
              HttpResponse.BodyHandlers.ofString());
        } catch (IOException notYet) {
          p.waitFor(200, TimeUnit.MILLISECONDS); // polls the endpoint; returns if it exits
        }
      }
      // ClearIP is not reachable from here: up and answering, not ready
      assertEquals(503, ready.statusCode(), ready.body());
      assertTrue(read(log).contains("listening on udp /127.0.0.1:" + sip), read(log));
    } finally {
      p.destroy(); // our own child: SIGTERM, which drains and stops the proxy
      if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
    }
    assertEquals(0, p.exitValue(), read(log));
  }

  /** The image's root file system, unpacked once (as root: with its owners). */
  Path unpacked() throws Exception {
    if (rootfs == null) {
      Path bundle = out.resolve("bundle");
      List<String> cmd = new ArrayList<>(List.of("umoci", "unpack"));
      if (!isRoot()) cmd.add("--rootless");
      cmd.addAll(List.of("--image", out.resolve("oci") + ":" + tag, bundle.toString()));
      Run r = run(out, cmd, null);
      assertEquals(0, r.exit(), r.output());
      rootfs = bundle.resolve("rootfs");
    }
    return rootfs;
  }

  /**
   * {@code command} chrooted into the image as its user, with /proc mounted as a container
   * runtime would (in a mount namespace of its own: nothing shows outside). Where no mount
   * namespace may be made (an unprivileged container), without /proc: the JVM's launcher then
   * finds its libraries through LD_ORIGIN_PATH (set by {@link #process}).
   */
  List<String> chrooted(List<String> command) throws Exception {
    assumeTrue(isRoot(), "chroot needs root; skipping running the image");
    assumeTrue(which("chroot") != null, "chroot is not installed; skipping running the image");
    Path root = unpacked();
    List<String> chroot = new ArrayList<>(List.of("chroot", "--userspec=10001:10001",
        root.toString()));
    chroot.addAll(command);
    if (!Boolean.getBoolean("image.noproc") && which("unshare") != null
        && run(out, List.of("unshare", "--mount", "sh", "-c", "mount -t proc proc "
            + root.resolve("proc")), null).exit() == 0) {
      StringBuilder sh = new StringBuilder("mount -t proc proc '" + root.resolve("proc")
          + "' && exec");
      for (String arg : chroot) sh.append(" '").append(arg).append('\'');
      return List.of("unshare", "--mount", "sh", "-c", sh.toString());
    }
    return chroot;
  }

  ProcessBuilder process(List<String> command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(chrooted(command)).redirectErrorStream(true);
    pb.environment().put("LD_ORIGIN_PATH", "/opt/java/bin");
    return pb;
  }

  Run inImage(List<String> command) throws Exception {
    Path log = Files.createTempFile(out, "in-image", ".txt");
    Process p = process(command).redirectOutput(log.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly(); // our own child
      throw new AssertionError(command + " did not finish");
    }
    return new Run(p.exitValue(), Files.readString(log));
  }

  Process start(List<String> command, Path log) throws Exception {
    // unshare, sh and chroot exec in turn: the process is the JVM, and SIGTERM reaches it
    return process(command).redirectOutput(log.toFile()).start();
  }

  static boolean isRoot() throws Exception {
    return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
  }

  static int freePort() throws IOException {
    for (int i = 0; i < 20; i++) {
      try (ServerSocket tcp = new ServerSocket()) {
        tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try (DatagramSocket udp = new DatagramSocket(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), tcp.getLocalPort()))) {
          return tcp.getLocalPort();
        } catch (IOException udpTaken) {
          // try another
        }
      }
    }
    throw new IOException("no port free for both TCP and UDP");
  }

  static List<String> strings(JsonNode array) {
    List<String> l = new ArrayList<>();
    array.forEach(n -> l.add(n.asText()));
    return l;
  }

  static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }
}
