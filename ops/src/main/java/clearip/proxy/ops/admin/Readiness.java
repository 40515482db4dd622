package clearip.proxy.ops.admin;

/** What {@code /ready} asks: all the admin HTTP endpoint needs to know of the proxy. */
@FunctionalInterface
public interface Readiness {

  /** Null when ready to take calls; otherwise why not ("draining", "ClearIP not connected"). */
  String notReadyReason();
}
