package clearip.proxy.emulator;

import java.net.InetAddress;

/**
 * What the rules look at in an INVITE.
 *
 * @param calledUser the Request-URI user part (or the To user part when the Request-URI has
 *     none) as written, without URI user parameters; empty when there is none
 * @param calledNumber {@code calledUser} normalised (visual separators and leading '+' removed)
 * @param callerUser the From user part as written; empty when there is none
 * @param callerNumber {@code callerUser} normalised
 * @param source the address the request came from
 */
public record CallInfo(String calledUser, String calledNumber, String callerUser,
    String callerNumber, InetAddress source) {

  public static CallInfo of(String calledUser, String callerUser, InetAddress source) {
    String cu = calledUser == null ? "" : calledUser;
    String cr = callerUser == null ? "" : callerUser;
    return new CallInfo(cu, Numbers.normalize(cu), cr, Numbers.normalize(cr), source);
  }
}
