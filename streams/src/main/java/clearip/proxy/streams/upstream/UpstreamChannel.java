package clearip.proxy.streams.upstream;

import clearip.proxy.streams.transport.ClientTransactions;
import java.util.List;

/**
 * The calls' view of the connection(s) to ClearIP: picks an open link for a new request, without
 * asking any actor. The upstream connection actor publishes links here as they come up and takes
 * them away when they fail or are being drained.
 */
public final class UpstreamChannel {
  private static final UpstreamLink[] NONE = new UpstreamLink[0];

  private volatile UpstreamLink[] active = NONE;
  private final UpstreamAnswers answers = new UpstreamAnswers();
  private final ClientTransactions transactions;
  private final java.util.concurrent.CompletableFuture<Void> firstUp =
      new java.util.concurrent.CompletableFuture<>();

  /** A channel with a client-transaction table of its own (tests, tools). */
  public UpstreamChannel() {
    this(new ClientTransactions());
  }

  /**
   * A channel whose links register their requests in {@code transactions}, the proxy's one
   * table, where destinations' answers are routed too.
   */
  public UpstreamChannel(ClientTransactions transactions) {
    this.transactions = transactions;
  }

  /**
   * The link a new request should use (spread by branch over the active links), or null when no
   * connection to ClearIP is up. The caller keeps it for the ACK, CANCEL and forget of that call.
   */
  public UpstreamLink pick(String branch) {
    UpstreamLink[] a = active;
    int n = a.length;
    if (n == 0) return null;
    int start = n == 1 ? 0 : (branch.hashCode() & 0x7fffffff) % n;
    for (int k = 0; k < n; k++) {
      UpstreamLink l = a[(start + k) % n];
      if (l.isOpen()) return l;
    }
    return null;
  }

  /** True when at least one link to ClearIP is open. */
  public boolean isUp() {
    for (UpstreamLink l : active) {
      if (l.isOpen()) return true;
    }
    return false;
  }

  /** The links new calls may use; set by the upstream connection actor only. */
  public void setActive(List<UpstreamLink> links) {
    active = links.toArray(NONE);
    if (!links.isEmpty()) firstUp.complete(null);
  }

  /** Completes the first time a link to ClearIP is published (start-up readiness). */
  public java.util.concurrent.CompletionStage<Void> firstUp() {
    return firstUp;
  }

  public List<UpstreamLink> active() {
    return List.of(active);
  }

  /** Where every link's requests wait for their answers, by branch. */
  public ClientTransactions clientTransactions() {
    return transactions;
  }

  /** ClearIP's answers that reached no call, counted over every link. */
  public UpstreamAnswers answers() {
    return answers;
  }

  /** Messages waiting in the outbound queues of the active links. */
  public int queueDepth() {
    int d = 0;
    for (UpstreamLink l : active) d += l.queueDepth();
    return d;
  }
}
