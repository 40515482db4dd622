package clearip.proxy.sip.uri;

/** A URI of a scheme the proxy does not interpret (http:, urn:, ...), kept as written. */
public record AbsoluteUri(String scheme, String text) implements Uri {
  @Override
  public String toString() {
    return text;
  }
}
