package clearip.proxy.actors.call.txn;

import java.time.Duration;
import java.util.Set;

/**
 * How inline mode follows ClearIP's 302 (the ClearIP In-line Proxy).
 *
 * @param maxAttempts Contacts tried at most per call (ClearIP sends up to 12)
 * @param noAnswerTimeout a destination that sends no provisional within this is given up (408)
 * @param ringTimeout a destination that rang but gave no final within this is CANCELled
 * @param stopCodes finals from a destination that end the search instead of trying the next
 *     Contact (6xx always end it)
 * @param stopAfterRinging once a 180/183 was relayed to the switch, no further Contact is tried
 * @param allFailed503 when every Contact failed, answer 503 (route-advance) instead of the best
 *     final of RFC 3261 16.7
 * @param copyPai also copy ClearIP's P-Asserted-Identity into the INVITE (replacing the switch's)
 * @param largeInvites which transport a large INVITE takes to a Contact that names none
 * @param recordRoute Record-Route so in-dialog requests (ACK, BYE, re-INVITE) pass through
 */
public record InlineSettings(int maxAttempts, Duration noAnswerTimeout, Duration ringTimeout,
    Set<Integer> stopCodes, boolean stopAfterRinging, boolean allFailed503, boolean copyPai,
    LargeInvites largeInvites, boolean recordRoute) {

  /**
   * RFC 3261 18.1.1's size rule and what makes it safe where destinations speak UDP only.
   *
   * @param udpMaxSize an INVITE larger than this to a Contact without a {@code transport}
   *     parameter goes over TCP instead of UDP; 0 never switches (always UDP)
   * @param udpFallback when that TCP is refused or does not connect within {@code
   *     tcpConnectTimeout}, the INVITE goes to the same destination over UDP at once
   * @param tcpConnectTimeout how long a connect may take before the fallback
   * @param remember how long a destination that did not take TCP gets large INVITEs over UDP
   *     without trying TCP first (zero: try TCP every time)
   */
  public record LargeInvites(int udpMaxSize, boolean udpFallback, Duration tcpConnectTimeout,
      Duration remember) {
    public LargeInvites {
      if (udpMaxSize < 0) throw new IllegalArgumentException("udpMaxSize must be >= 0");
      if (tcpConnectTimeout.isNegative() || tcpConnectTimeout.isZero()) {
        throw new IllegalArgumentException("tcpConnectTimeout must be > 0");
      }
      if (remember.isNegative()) throw new IllegalArgumentException("remember must be >= 0");
    }

    public static LargeInvites defaults() {
      return new LargeInvites(1300, true, Duration.ofMillis(500), Duration.ofMinutes(10));
    }

    /** Every INVITE over the Contact's own transport, whatever its size. */
    public static LargeInvites alwaysUdp() {
      return new LargeInvites(0, true, Duration.ofMillis(500), Duration.ofMinutes(10));
    }

    /** True when an INVITE of {@code size} bytes leaves UDP for TCP. */
    public boolean tooLargeForUdp(int size) {
      return udpMaxSize > 0 && size > udpMaxSize;
    }
  }

  public static InlineSettings defaults() {
    return new InlineSettings(12, Duration.ofSeconds(5), Duration.ofSeconds(120), Set.of(486),
        true, false, false, LargeInvites.defaults(), false);
  }

  public InlineSettings withLargeInvites(LargeInvites l) {
    return new InlineSettings(maxAttempts, noAnswerTimeout, ringTimeout, stopCodes,
        stopAfterRinging, allFailed503, copyPai, l, recordRoute);
  }

  public InlineSettings with(Duration noAnswer, Duration ring) {
    return new InlineSettings(maxAttempts, noAnswer, ring, stopCodes, stopAfterRinging,
        allFailed503, copyPai, largeInvites, recordRoute);
  }

  public InlineSettings withStopAfterRinging(boolean stop) {
    return new InlineSettings(maxAttempts, noAnswerTimeout, ringTimeout, stopCodes, stop,
        allFailed503, copyPai, largeInvites, recordRoute);
  }

  public InlineSettings withAllFailed503(boolean b) {
    return new InlineSettings(maxAttempts, noAnswerTimeout, ringTimeout, stopCodes,
        stopAfterRinging, b, copyPai, largeInvites, recordRoute);
  }

  public InlineSettings withRecordRoute(boolean b) {
    return new InlineSettings(maxAttempts, noAnswerTimeout, ringTimeout, stopCodes,
        stopAfterRinging, allFailed503, copyPai, largeInvites, b);
  }
}
