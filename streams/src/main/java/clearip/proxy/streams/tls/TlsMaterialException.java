package clearip.proxy.streams.tls;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Owns the operator-facing explanation of why a TLS file (certificate, key or CA bundle) cannot be
 * used; the message always starts with the file it is about.
 */
public final class TlsMaterialException extends Exception {
  private static final long serialVersionUID = 1L;

  private final Path file;
  private final String problem;

  public TlsMaterialException(Path file, String problem) {
    this(file, problem, null);
  }

  public TlsMaterialException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = Objects.requireNonNull(file, "file");
    this.problem = Objects.requireNonNull(problem, "problem");
  }

  /** The file the problem was found in. */
  public Path file() {
    return file;
  }

  /** What is wrong with {@link #file()}, without the file name. */
  public String problem() {
    return problem;
  }
}
