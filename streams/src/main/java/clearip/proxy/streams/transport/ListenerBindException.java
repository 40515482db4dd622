package clearip.proxy.streams.transport;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * A listener could not bind its address: which listener ({@code udp}, {@code tcp}, {@code tls},
 * {@code admin}), which address and the system's reason, in the message as an operator reads it
 * ({@code cannot listen on tcp 0.0.0.0:5060: Address already in use}). No cause is chained:
 * the message says it all, and no stack trace is ever printed for it.
 */
public final class ListenerBindException extends BindException {
  private static final long serialVersionUID = 1L;

  private final String listener;
  private final InetSocketAddress address;
  private final String reason;

  public ListenerBindException(String listener, InetSocketAddress address, String reason) {
    super("cannot listen on " + listener + " " + hostPort(address) + ": " + reason);
    this.listener = listener;
    this.address = address;
    this.reason = reason;
  }

  /** A SIP listener's failure. */
  public ListenerBindException(Transport transport, InetSocketAddress address, Throwable cause) {
    this(transport.name().toLowerCase(Locale.ROOT), address, cause);
  }

  /** {@code listener}'s failure, the reason taken from {@code cause}. */
  public ListenerBindException(String listener, InetSocketAddress address, Throwable cause) {
    this(listener, address, reasonOf(cause));
  }

  /** {@code udp}, {@code tcp}, {@code tls} or {@code admin}. */
  public String listener() {
    return listener;
  }

  public InetSocketAddress address() {
    return address;
  }

  /** The system's words, e.g. {@code Address already in use}. */
  public String reason() {
    return reason;
  }

  /** {@code 0.0.0.0:5060}, {@code [::]:5060}: without the slash of InetSocketAddress. */
  public static String hostPort(InetSocketAddress a) {
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /**
   * The innermost message, without the {@code [/0.0.0.0:5060]} Pekko puts in front of it or the
   * {@code Bind failed because of java.net.BindException:} around it.
   */
  static String reasonOf(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    m = m.replaceFirst("^.*?java\\.net\\.\\w+Exception: ", "");
    return m.replaceFirst("^\\[[^\\]]*\\]\\s*", "");
  }
}
