package clearip.proxy.ops.config;

import java.util.Comparator;
import java.util.List;

/**
 * A configuration that cannot be used, with every problem found, each naming key and place, in
 * the order of the file's lines (problems with no line, e.g. from a system property, last).
 */
public final class ConfigProblemException extends Exception {
  /** One problem; {@code line} is its line in the file, 0 where it has none. */
  public record Problem(int line, String text) {}

  private final List<String> problems;

  public ConfigProblemException(List<String> problems) {
    super(String.join("\n", problems), null, false, false);
    this.problems = List.copyOf(problems);
  }

  /** Sorted by line, stable, so problems on one line keep the order they were found in. */
  static ConfigProblemException of(List<Problem> found) {
    return new ConfigProblemException(found.stream()
        .sorted(Comparator.comparingInt(p -> p.line() == 0 ? Integer.MAX_VALUE : p.line()))
        .map(Problem::text)
        .toList());
  }

  public List<String> problems() {
    return problems;
  }
}
