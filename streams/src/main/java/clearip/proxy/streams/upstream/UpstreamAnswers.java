package clearip.proxy.streams.upstream;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Answers from ClearIP that reached no call, over every link since start: each counted once, in
 * a series of its own, so that the call meters count each call's answer exactly once.
 */
public final class UpstreamAnswers {
  private final AtomicLong unmatched = new AtomicLong();
  private final AtomicLong unusable = new AtomicLong();

  /**
   * A response whose branch no call waits for: a duplicate of a final already taken, an answer
   * after its call gave up waiting, or one for a request this proxy never sent.
   */
  public long unmatched() {
    return unmatched.get();
  }

  /** Responses that could not be decoded within the parse limits. */
  public long unusable() {
    return unusable.get();
  }

  void countUnmatched() {
    unmatched.incrementAndGet();
  }

  void countUnusable() {
    unusable.incrementAndGet();
  }
}
