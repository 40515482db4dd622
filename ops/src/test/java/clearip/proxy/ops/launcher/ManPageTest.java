package clearip.proxy.ops.launcher;

import static org.junit.jupiter.api.Assertions.assertTrue;

import clearip.proxy.ops.ctl.ProxyConnector;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The hand-written man page (src/dist/man/clearip-proxy.1) keeps up with the command line. */
class ManPageTest {

  @Test
  void describesEveryCommandAndOption() throws Exception {
    // the roff source with its font changes and escaped hyphens undone
    String page = Files.readString(Path.of("src", "dist", "man", "clearip-proxy.1"))
        .replace("\\-", "-").replaceAll("\\\\f[BIR]", "").replace("\"", "");
    CommandLine cl = Main.commandLine((c, f) -> 0, ProxyConnector.JMX,
        new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    List<String> missing = new ArrayList<>();
    collect(cl, "", page, missing);
    assertTrue(missing.isEmpty(), "not in clearip-proxy.1: " + missing);
  }

  private static void collect(CommandLine cl, String prefix, String page, List<String> missing) {
    for (OptionSpec o : cl.getCommandSpec().options()) {
      if (o.hidden() || o.usageHelp() || o.versionHelp()) continue;
      if (!page.contains(o.longestName())) missing.add(prefix + o.longestName());
    }
    for (var e : cl.getSubcommands().entrySet()) {
      CommandLine sub = e.getValue();
      if (sub.getCommandSpec().usageMessage().hidden()) continue;
      String name = prefix + e.getKey();
      if (sub.getSubcommands().isEmpty() && !page.contains(name)) missing.add(name);
      collect(sub, name + " ", page, missing);
    }
  }
}
