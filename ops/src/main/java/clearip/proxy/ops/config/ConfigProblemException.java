package clearip.proxy.ops.config;

import java.util.List;

/** A configuration that cannot be used, with every problem found, each naming key and place. */
public final class ConfigProblemException extends Exception {
  private final List<String> problems;

  public ConfigProblemException(List<String> problems) {
    super(String.join("\n", problems), null, false, false);
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
