package clearip.proxy.actors.call.txn;

/**
 * What in-line mode learns beyond this call about destinations: told when one failed (a transport
 * error, or no provisional in time), asked whether one should go last in a 302's order. A fleet
 * of proxies shares it; alone, it is {@link #LOCAL}: nothing reordered. Implementations answer
 * from a local snapshot at once: they are asked on a call's way.
 */
public interface DestinationHealth {

  /** True when {@code d} failed lately elsewhere and is tried after the 302's other Contacts. */
  boolean penalized(Destination d);

  /** An attempt to {@code d} failed here by a transport error or silence. */
  void failed(Destination d);

  /** Nothing shared: the order of the 302 stands. */
  DestinationHealth LOCAL = new DestinationHealth() {
    @Override
    public boolean penalized(Destination d) {
      return false;
    }

    @Override
    public void failed(Destination d) {}
  };
}
