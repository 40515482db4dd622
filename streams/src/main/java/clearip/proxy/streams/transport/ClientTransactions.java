package clearip.proxy.streams.transport;

import clearip.proxy.sip.message.SipResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one place that answers "which call owns this response": every request the proxy sends and
 * expects answers to (the INVITE to ClearIP, its OPTIONS pings, in-line mode's INVITE to each
 * destination) is registered here under the Via branch the proxy put on top, with the {@link
 * Callback} its responses go to. ClearIP's answers are routed from each upstream connection,
 * destinations' answers from the listeners; both by {@link #route}.
 *
 * <p>Each entry also names its {@link ReturnPath}, where its responses must arrive: the one
 * connection to ClearIP its request went out on, or the {@linkplain #listeners() listeners} for
 * a destination. A response on another path matches nothing, as if its branch were unknown, so
 * a destination can never answer for ClearIP, nor one ClearIP connection for another. A path
 * counts its entries (a connection's requests in flight, for its drain and status), and when a
 * connection is lost, {@link #lose} tells every caller waiting on it at once. That walks the
 * whole table: fine for an event as rare as a lost connection, and it keeps the hot path to one
 * map lookup, with no per-connection set to keep in step.
 *
 * <p>An entry ends when its caller {@linkplain #forget forgets} it (the call is over or gave up),
 * when its path is lost, or, on a path that {@linkplain ReturnPath#connection ends entries on a
 * final}, with its final response (a CANCEL's excepted: that one shares its INVITE's branch, and
 * the INVITE's final is still to come). Destinations keep theirs until the call forgets them: over
 * UDP a destination repeats its final until our ACK reaches it, and each repeat needs the call.
 *
 * <p>Keyed by branch alone: the proxy's branches are unique, and the CSeq method that RFC 3261
 * 17.1.3 adds to the key only tells a CANCEL's answers from its INVITE's, which the caller does.
 * Lock-free: one {@link ConcurrentHashMap}, one small entry per request.
 */
public final class ClientTransactions {

  /**
   * The caller waiting for the responses to one request. Called on stream or socket threads: an
   * implementation only hands the event to its actor.
   */
  public interface Callback {

    /** A response with the branch this callback was registered under, on its return path. */
    void onResponse(SipResponse response);

    /** The return path was lost before the final: answer now rather than wait for a timeout. */
    void onUnavailable(String reason);

    /**
     * A response came for this branch that the proxy cannot use (beyond the parse limits, or
     * malformed): answer now rather than wait for the timeout.
     */
    default void onUnusable(String reason) {
      onUnavailable(reason);
    }
  }

  /**
   * Where the responses to a registered request must arrive: one connection to ClearIP, or the
   * listeners (a destination answers on a listener, or on the connection we opened to it, which
   * the listeners read too). Counts the requests registered on it.
   */
  public static final class ReturnPath {
    private final String name;
    private final boolean endsOnFinal;
    private final AtomicInteger waiting = new AtomicInteger();

    private ReturnPath(String name, boolean endsOnFinal) {
      this.name = name;
      this.endsOnFinal = endsOnFinal;
    }

    /**
     * One reliable connection (to ClearIP): a final response ends its request's entry, since a
     * reliable transport never repeats it; a second one is a duplicate and matches nothing.
     */
    public static ReturnPath connection(String name) {
      return new ReturnPath(name, true);
    }

    /** Requests registered on this path and not yet ended. */
    public int waiting() {
      return waiting.get();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** Identity matters, not value: removal must take this very entry, not an equal newer one. */
  private static final class Entry {
    final ReturnPath path;
    final Callback callback;

    Entry(ReturnPath path, Callback callback) {
      this.path = path;
      this.callback = callback;
    }
  }

  private final ConcurrentHashMap<String, Entry> byBranch = new ConcurrentHashMap<>();
  private final ReturnPath listeners = new ReturnPath("listeners", false);

  /** The path of destinations' responses: whatever the listeners read. Never lost. */
  public ReturnPath listeners() {
    return listeners;
  }

  /**
   * Routes the responses with {@code branch} that arrive on {@code path} to {@code callback},
   * until the entry ends. A branch registered again is taken over by the newer entry.
   */
  public void register(String branch, ReturnPath path, Callback callback) {
    // counted before the put: the count never reads below the entries, so a connection draining
    // cannot look idle while a request is being put on it
    path.waiting.incrementAndGet();
    Entry previous = byBranch.put(branch, new Entry(path, callback));
    if (previous != null) previous.path.waiting.decrementAndGet();
  }

  /**
   * Hands {@code response}, which arrived on {@code arrivedOn}, to the caller waiting for its
   * branch. False when none waits there (a duplicate, an answer after its call gave up, one for a
   * request this proxy never sent): the caller counts or logs it as its path's own.
   *
   * @param branch the response's top Via branch, as the caller read it (null matches nothing)
   */
  public boolean route(String branch, SipResponse response, ReturnPath arrivedOn) {
    Entry e = branch == null ? null : byBranch.get(branch);
    if (e == null || e.path != arrivedOn) return false;
    if (arrivedOn.endsOnFinal && response.isFinal() && !response.cseqMethodIs("CANCEL")) {
      remove(branch, e);
    }
    e.callback.onResponse(response);
    return true;
  }

  /**
   * Ends the entry of {@code branch} on {@code arrivedOn} and returns its callback, or null when
   * none waits there: for an answer that could not be decoded into a response to route.
   */
  public Callback take(String branch, ReturnPath arrivedOn) {
    Entry e = branch == null ? null : byBranch.get(branch);
    return e != null && e.path == arrivedOn && remove(branch, e) ? e.callback : null;
  }

  /**
   * Stops routing {@code branch} (the call is over or gave up, or the request never left); true
   * when it was registered on {@code path} and is now gone.
   */
  public boolean forget(String branch, ReturnPath path) {
    Entry e = byBranch.get(branch);
    return e != null && e.path == path && remove(branch, e);
  }

  /** True when responses with {@code branch} on {@code path} still find a caller. */
  public boolean isWaiting(String branch, ReturnPath path) {
    Entry e = byBranch.get(branch);
    return e != null && e.path == path;
  }

  /**
   * {@code path} is gone (its connection closed or failed): every caller still waiting on it is
   * told {@code reason}, once, and its entry ended. Returns how many were told.
   */
  public int lose(ReturnPath path, String reason) {
    int told = 0;
    for (Map.Entry<String, Entry> m : byBranch.entrySet()) {
      Entry e = m.getValue();
      // only whoever removes the entry tells its caller: each is told once
      if (e.path == path && remove(m.getKey(), e)) {
        e.callback.onUnavailable(reason);
        told++;
      }
    }
    return told;
  }

  /** Entries over every path. */
  public int size() {
    return byBranch.size();
  }

  private boolean remove(String branch, Entry e) {
    if (!byBranch.remove(branch, e)) return false;
    e.path.waiting.decrementAndGet();
    return true;
  }
}
