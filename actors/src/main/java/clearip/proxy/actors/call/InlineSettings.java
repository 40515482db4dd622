package clearip.proxy.actors.call;

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
 * @param udpMaxSize an INVITE larger than this to a UDP destination goes over TCP (RFC 3261
 *     18.1.1); 0 never switches
 * @param recordRoute Record-Route so in-dialog requests (ACK, BYE, re-INVITE) pass through
 */
public record InlineSettings(int maxAttempts, Duration noAnswerTimeout, Duration ringTimeout,
    Set<Integer> stopCodes, boolean stopAfterRinging, boolean allFailed503, boolean copyPai,
    int udpMaxSize, boolean recordRoute) {

  public static InlineSettings defaults() {
    return new InlineSettings(12, Duration.ofSeconds(5), Duration.ofSeconds(120), Set.of(486),
        true, false, false, 1300, false);
  }

  public InlineSettings with(Duration noAnswer, Duration ring) {
    return new InlineSettings(maxAttempts, noAnswer, ring, stopCodes, stopAfterRinging,
        allFailed503, copyPai, udpMaxSize, recordRoute);
  }

  public InlineSettings withStopAfterRinging(boolean stop) {
    return new InlineSettings(maxAttempts, noAnswerTimeout, ringTimeout, stopCodes, stop,
        allFailed503, copyPai, udpMaxSize, recordRoute);
  }

  public InlineSettings withAllFailed503(boolean b) {
    return new InlineSettings(maxAttempts, noAnswerTimeout, ringTimeout, stopCodes,
        stopAfterRinging, b, copyPai, udpMaxSize, recordRoute);
  }

  public InlineSettings withRecordRoute(boolean b) {
    return new InlineSettings(maxAttempts, noAnswerTimeout, ringTimeout, stopCodes,
        stopAfterRinging, allFailed503, copyPai, udpMaxSize, b);
  }
}
