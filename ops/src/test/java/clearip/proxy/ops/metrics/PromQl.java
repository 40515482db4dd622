package clearip.proxy.ops.metrics;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names a PromQL expression reads (enough PromQL for our dashboard and rules). */
final class PromQl {
  private PromQl() {}

  private static final Set<String> WORDS = Set.of("and", "or", "unless", "bool", "offset",
      "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan");
  private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'");
  private static final Pattern GROUPING = Pattern.compile(
      "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile(
      "(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");

  /** Series names, Grafana's variables ($job, ${x}, $__rate_interval) left out. */
  static Set<String> metricNames(String expr) {
    String e = STRINGS.matcher(expr).replaceAll("\"\"");
    e = e.replaceAll("\\{[^}]*\\}", " ") // label matchers (strings already emptied)
        .replaceAll("\\[[^]]*\\]", " ") // ranges
        .replaceAll("\\$\\{[^}]*\\}|\\$\\w+", " ");
    e = GROUPING.matcher(e).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(e);
    while (m.find()) {
      if (m.group(2) != null) continue; // a function or aggregation
      if (WORDS.contains(m.group(1).toLowerCase(java.util.Locale.ROOT))) continue;
      names.add(m.group(1));
    }
    return names;
  }

  /**
   * The expression with Grafana's variables replaced by values PromQL accepts, for promtool to
   * parse.
   */
  static String withoutGrafanaVariables(String expr) {
    return expr.replace("$__rate_interval", "1m").replace("$__interval", "1m")
        .replace("${DS_PROMETHEUS}", "x").replaceAll("\\$\\{?(\\w+)\\}?", "x");
  }
}
