package clearip.proxy.ops.install;

import static clearip.proxy.ops.install.InstallScriptTest.run;
import static clearip.proxy.ops.install.InstallScriptTest.which;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import clearip.proxy.ops.config.ProxyConfig;
import clearip.proxy.ops.install.InstallScriptTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The .deb the build makes (target/clearip-proxy_VERSION_all.deb): its control fields, its
 * files and their modes, the conffile, and, unpacked into a throw-away root with {@code dpkg -x},
 * the unit, the man page and the packaged launcher running the packaged jar.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DebPackageIT {
  static final String JAR = "/usr/share/clearip-proxy/clearip-proxy.jar";

  Path deb;
  Path work;
  Path root;
  /** Path inside the package (./usr/bin/clearip-proxy) to its ls-style mode and owner. */
  final Map<String, String> listing = new HashMap<>();

  @BeforeAll
  void unpack() throws Exception {
    try (Stream<Path> s = Files.list(Path.of("target"))) {
      deb = s.filter(p -> p.getFileName().toString().matches("clearip-proxy_.*_all\\.deb"))
          .findFirst().orElseThrow(() -> new AssertionError(
              "no target/clearip-proxy_*_all.deb: the package phase builds it"))
          .toAbsolutePath();
    }
    assumeTrue(which("dpkg-deb") != null, "dpkg-deb is not installed; skipping the .deb checks");
    work = Files.createTempDirectory("deb-test");
    root = work.resolve("root");
    Run r = dpkgDeb("-x", deb.toString(), root.toString());
    assertEquals(0, r.exit(), r.output());
    for (String line : dpkgDeb("-c", deb.toString()).output().split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 6) listing.put(f[f.length - 1], f[0] + " " + f[1]);
    }
  }

  Run dpkgDeb(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("dpkg-deb"));
    cmd.addAll(List.of(args));
    return run(work == null ? Path.of("target") : work, cmd, null);
  }

  @Test
  void controlFieldsNameTheJavaRuntimeItNeeds() throws Exception {
    Run r = dpkgDeb("-f", deb.toString(), "Package", "Architecture", "Depends", "Version");
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("Package: clearip-proxy"), r.output());
    assertTrue(r.output().contains("Architecture: all"), r.output());
    assertTrue(r.output().contains("openjdk-17-jre-headless | java17-runtime-headless"),
        r.output());
    assertTrue(r.output().contains("adduser"), r.output());
    Run info = dpkgDeb("-I", deb.toString());
    for (String script : List.of("postinst", "prerm", "postrm", "conffiles", "md5sums")) {
      assertTrue(info.output().contains(" " + script), script + " missing:\n" + info.output());
    }
  }

  @Test
  void filesGoWhereDebianPutsThemWithTheirModes() {
    assertEquals("-rwxr-xr-x root/root", listing.get("./usr/bin/clearip-proxy"), listing::toString);
    assertEquals("-rw-r--r-- root/root", listing.get("." + JAR), listing::toString);
    assertEquals("-rw-r----- root/root", listing.get("./etc/clearip-proxy/clearip-proxy.conf"),
        listing::toString);
    assertEquals("-rw-r--r-- root/root",
        listing.get("./lib/systemd/system/clearip-proxy.service"), listing::toString);
    assertEquals("-rw-r--r-- root/root", listing.get("./usr/share/man/man1/clearip-proxy.1.gz"),
        listing::toString);
    assertEquals("drwxr-x--- root/root", listing.get("./var/lib/clearip-proxy/traces/"),
        listing::toString);
    // the dashboard and the alert rules, to import into Grafana and Prometheus
    assertEquals("-rw-r--r-- root/root",
        listing.get("./usr/share/clearip-proxy/grafana/clearip-proxy.json"), listing::toString);
    assertEquals("-rw-r--r-- root/root",
        listing.get("./usr/share/clearip-proxy/prometheus/alerts.yml"), listing::toString);
  }

  @Test
  void theConfigurationIsAConffile() throws Exception {
    Run r = dpkgDeb("-I", deb.toString(), "conffiles");
    assertEquals(0, r.exit(), r.output());
    assertEquals("/etc/clearip-proxy/clearip-proxy.conf", r.output().trim());
  }

  @Test
  void theUnitRunsThePackagedJarFromTheStateDirectory() throws Exception {
    String u = Files.readString(root.resolve("lib/systemd/system/clearip-proxy.service"));
    assertTrue(!u.matches("(?s).*@[A-Z]+@.*"), "every placeholder filled:\n" + u);
    assertTrue(u.contains("\nUser=clearip-proxy\n"), u);
    assertTrue(u.contains("\nGroup=clearip-proxy\n"), u);
    assertTrue(u.contains("\nWorkingDirectory=/var/lib/clearip-proxy\n"), u);
    assertTrue(u.contains("\nExecStart=/usr/bin/java $JAVA_OPTS -jar " + JAR
        + " run --config /etc/clearip-proxy/clearip-proxy.conf\n"), u);
    assertTrue(u.contains("\nReadWritePaths=-/var/lib/clearip-proxy/traces\n"), u);
    assertTrue(u.contains("\nEnvironmentFile=-/etc/clearip-proxy/clearip-proxy.env\n"), u);
    assertTrue(u.contains("\nExecReload=/bin/kill -HUP $MAINPID\n"), u);
    assertTrue(u.contains("\nWantedBy=multi-user.target\n"), u);
  }

  @Test
  void theShippedConfigurationIsValidAndTracesWhereTheServiceMayWrite() throws Exception {
    ProxyConfig c = ProxyConfig.load(root.resolve("etc/clearip-proxy/clearip-proxy.conf"));
    assertEquals(ProxyConfig.Mode.TLS_PROXY, c.mode());
    Path traces = c.trace().file();
    assertTrue(traces.isAbsolute(), traces.toString());
    assertTrue(traces.startsWith("/var/lib/clearip-proxy/traces"), traces.toString());
  }

  @Test
  void thePackagedLauncherRunsThePackagedJar() throws Exception {
    Path launcher = root.resolve("usr/bin/clearip-proxy");
    Run version = launcher("version");
    assertEquals(0, version.exit(), version.output());
    assertTrue(version.output().startsWith("clearip-proxy "), version.output());
    assertTrue(!version.output().contains("development build"),
        "the packaged jar carries its version: " + version.output());
    Run help = launcher("--help");
    assertEquals(0, help.exit(), help.output());
    for (String command : List.of("run", "check-config", "ctl", "version")) {
      assertTrue(help.output().contains("  " + command), command + ":\n" + help.output());
    }
    Run check = launcher("check-config", root.resolve("etc/clearip-proxy/clearip-proxy.conf")
        .toString());
    assertEquals(0, check.exit(), check.output());
    assertTrue(check.output().contains(": OK"), check.output());
    assertTrue(Files.isExecutable(launcher));
  }

  Run launcher(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(root.resolve("usr/bin/clearip-proxy").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile())
        .redirectErrorStream(true);
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Path out = Files.createTempFile(work, "out", ".txt");
    Process p = pb.redirectOutput(out.toFile()).start();
    if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly(); // our own child
      throw new AssertionError(cmd + " did not finish");
    }
    return new Run(p.exitValue(), Files.readString(out));
  }

  @Test
  void theManPageRenders() throws Exception {
    Path page = root.resolve("usr/share/man/man1/clearip-proxy.1.gz");
    assertTrue(Files.size(page) > 1000, page.toString());
    String man = which("man");
    assumeTrue(man != null, "man is not installed; skipping rendering the page");
    List<String> cmd = List.of("sh", "-c", "MANWIDTH=80 MAN_KEEP_FORMATTING= " + man
        + " --warnings -l " + page + " 2>&1");
    Run r = run(work, cmd, null);
    assertEquals(0, r.exit(), r.output());
    String text = r.output();
    assertTrue(text.contains("CLEARIP-PROXY(1)"), text);
    assertTrue(!text.contains("warning"), "groff warnings:\n" + text);
    for (String section : List.of("NAME", "SYNOPSIS", "COMMANDS", "EXIT STATUS", "FILES")) {
      assertTrue(text.contains("\n" + section + "\n"), section + ":\n" + text);
    }
    assertTrue(!text.contains("@VERSION@"), text);
  }

  @Test
  void postinstCreatesTheUserAndHandsItTheStateDirectory() throws Exception {
    // the maintainer script with its tools replaced by stubs that record their arguments
    Path control = work.resolve("control");
    assertEquals(0, dpkgDeb("-e", deb.toString(), control.toString()).exit());
    Path bin = Files.createDirectories(work.resolve("stubs"));
    Path calls = work.resolve("calls.txt");
    for (String tool : List.of("adduser", "getent", "install", "chgrp", "chmod", "systemctl",
        "deb-systemd-helper", "deb-systemd-invoke")) {
      Path stub = bin.resolve(tool);
      Files.writeString(stub, "#!/bin/sh\necho \"" + tool + " $*\" >> " + calls + "\n"
          + (tool.equals("getent") ? "exit 2\n" : "exit 0\n"));
      Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    List<String> cmd = List.of("env", "PATH=" + bin + ":/usr/bin:/bin", "sh", "-eu",
        control.resolve("postinst").toString(), "configure", "");
    Run r = run(work, cmd, null);
    assertEquals(0, r.exit(), r.output());
    String log = Files.readString(calls);
    assertTrue(log.contains("adduser --system --group --home /var/lib/clearip-proxy "
        + "--no-create-home --shell /usr/sbin/nologin"), log);
    assertTrue(log.contains("install -d -m 0750 -o clearip-proxy -g clearip-proxy "
        + "/var/lib/clearip-proxy /var/lib/clearip-proxy/traces"), log);
    assertTrue(log.contains("chgrp clearip-proxy /etc/clearip-proxy "
        + "/etc/clearip-proxy/clearip-proxy.conf"), log);
    assertTrue(log.contains("deb-systemd-helper enable clearip-proxy.service"), log);
    assertTrue(!log.contains("deb-systemd-invoke"), "a first install starts nothing: " + log);
    for (String script : List.of("postinst", "prerm", "postrm")) {
      assertEquals(0, run(work, List.of("sh", "-n", control.resolve(script).toString()), null)
          .exit(), script + " is not valid sh");
    }
  }
}
