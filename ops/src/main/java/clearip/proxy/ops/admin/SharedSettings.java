package clearip.proxy.ops.admin;

/**
 * Where the operator's settings that a fleet shares go once they are in force on this node
 * (access.allow, emergency.numbers, upstream.uri): to the other nodes, when there is a fleet.
 * Declared here so that the operations need not know how a fleet is built.
 */
public interface SharedSettings {
  String ACCESS_ALLOW = "access.allow";
  String EMERGENCY_NUMBERS = "emergency.numbers";
  String UPSTREAM_URI = "upstream.uri";
  String TRACE = "trace";

  /** Sends {@code value} of {@code key}, already applied here, to the other nodes. */
  void publish(String key, String value);

  /** Null while this node may take calls as far as the fleet is concerned; else why not. */
  String notReadyReason();

  /** A proxy on its own: nothing goes anywhere. */
  SharedSettings LOCAL = new SharedSettings() {
    @Override
    public void publish(String key, String value) {}

    @Override
    public String notReadyReason() {
      return null;
    }
  };
}
