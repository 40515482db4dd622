package clearip.proxy.emulator;

import java.time.Duration;
import java.util.List;

/**
 * One answering rule: what it matches and how it answers. A rule matches when every non-empty
 * criterion matches (any prefix in a list, any network in a list); the first matching rule wins.
 *
 * @param name for logs and error messages
 * @param calledPrefixes normalised called-number prefixes; empty matches every number
 * @param callerPrefixes normalised caller-number prefixes; empty matches every number
 * @param sources source networks; empty matches every source
 * @param action the answer
 * @param delay how long to wait before answering ({@link Duration#ZERO} for at once)
 * @param noAnswer never answer (the INVITE stays pending until CANCELled or expired)
 * @param dropConnection close the TCP/TLS connection instead of answering (UDP: no answer)
 */
public record Rule(String name, List<String> calledPrefixes, List<String> callerPrefixes,
    List<Cidr> sources, Action action, Duration delay, boolean noAnswer, boolean dropConnection) {

  public Rule {
    calledPrefixes = List.copyOf(calledPrefixes);
    callerPrefixes = List.copyOf(callerPrefixes);
    sources = List.copyOf(sources);
    if (delay.isNegative()) throw new IllegalArgumentException("delay must not be negative");
    if (noAnswer && dropConnection) {
      throw new IllegalArgumentException("no-answer and drop-connection exclude each other");
    }
    if (noAnswer && !delay.isZero()) {
      throw new IllegalArgumentException("a delay means nothing with no-answer");
    }
  }

  /** A rule that matches every call. */
  public static Rule catchAll(String name, Action action) {
    return new Rule(name, List.of(), List.of(), List.of(), action, Duration.ZERO, false, false);
  }

  public boolean matches(CallInfo call) {
    return prefixMatch(calledPrefixes, call.calledNumber())
        && prefixMatch(callerPrefixes, call.callerNumber())
        && sourceMatch(call);
  }

  private static boolean prefixMatch(List<String> prefixes, String number) {
    if (prefixes.isEmpty()) return true;
    for (int i = 0, n = prefixes.size(); i < n; i++) {
      if (number.startsWith(prefixes.get(i))) return true;
    }
    return false;
  }

  private boolean sourceMatch(CallInfo call) {
    if (sources.isEmpty()) return true;
    if (call.source() == null) return false;
    for (int i = 0, n = sources.size(); i < n; i++) {
      if (sources.get(i).contains(call.source())) return true;
    }
    return false;
  }

  /** Header values end up in a message verbatim: a line break would inject header fields. */
  static void singleLine(String what, String value) {
    if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
      throw new IllegalArgumentException(what + " must not contain a line break");
    }
  }

  /** How a rule answers. */
  public sealed interface Action {

    /**
     * 302 Moved Temporarily with the destinations as Contacts (q 0.99, 0.98, ...).
     *
     * @param destinations 1 to 12 URI templates
     * @param identity add a signed SHAKEN {@code Identity} header
     * @param attest the attestation level, A, B or C
     * @param pai a {@code P-Asserted-Identity} value template, or null for none
     * @param reason the Reason header value
     */
    record Redirect(List<Template> destinations, boolean identity, String attest, Template pai,
        String reason) implements Action {
      public static final int MAX_CONTACTS = 12;

      public Redirect {
        destinations = List.copyOf(destinations);
        if (destinations.isEmpty() || destinations.size() > MAX_CONTACTS) {
          throw new IllegalArgumentException("a redirect needs 1 to " + MAX_CONTACTS
              + " destinations, has " + destinations.size());
        }
        if (!attest.equals("A") && !attest.equals("B") && !attest.equals("C")) {
          throw new IllegalArgumentException("attest must be A, B or C, was '" + attest + "'");
        }
        singleLine("reason", reason);
        if (pai != null) singleLine("pai", pai.toString());
      }
    }

    /** ClearIP's "no action" (route-advance): 503, or 404 where so configured. */
    record NoAction(int status) implements Action {
      public NoAction {
        if (status != 503 && status != 404) {
          throw new IllegalArgumentException("no-action status must be 503 or 404, was " + status);
        }
      }
    }

    /** 603 Decline with a Reason header. */
    record Block(String reason) implements Action {
      public Block {
        singleLine("reason", reason);
      }
    }

    /** 403 Forbidden: the source is not registered as an SBC. */
    enum Forbidden implements Action { INSTANCE }
  }
}
