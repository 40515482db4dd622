package clearip.proxy.actors.call.txn;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Marks the dialogs this proxy screened, so that it relays in-dialog requests for them and for
 * nothing else (in-line mode with Record-Route). The Record-Route of every screened INVITE
 * carries {@code ;cipd=} a MAC of the Call-ID and the caller's From tag under a key of the node
 * (or of the fleet, when configured); an in-dialog request is relayed only when its top Route
 * carries the MAC of its own Call-ID and one of its tags (From for the caller's requests, To for
 * the callee's). A request with any other Call-ID, e.g. an INVITE made up with a To tag to slip
 * past screening, has no valid MAC. Stateless: nothing is kept per dialog. Thread-safe.
 */
public final class DialogTokens {
  /** The Record-Route URI parameter that carries the token. */
  public static final String PARAM = "cipd";
  private static final int BYTES = 12; // 96 bits: forging one takes 2^96 tries
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs;

  /** @param secret the key; at least 16 bytes */
  public DialogTokens(byte[] secret) {
    if (secret.length < 16) throw new IllegalArgumentException("the key needs 16 bytes or more");
    this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  /** A key of this process alone: its dialogs are not recognised after a restart. */
  public static DialogTokens random() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return new DialogTokens(k);
  }

  /** A key shared by the nodes that are configured with {@code secret}. */
  public static DialogTokens of(String secret) {
    return new DialogTokens(secret.getBytes(StandardCharsets.UTF_8));
  }

  private Mac newMac() {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(key);
      return m;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /**
   * The token of the dialog an INVITE with this Call-ID and From tag creates (a missing tag, as
   * from an RFC 2543 client, counts as empty).
   */
  public String mint(String callId, String fromTag) {
    byte[] mac = mac(callId, fromTag);
    char[] out = new char[BYTES * 2];
    for (int i = 0; i < BYTES; i++) {
      out[2 * i] = HEX[(mac[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[mac[i] & 0xf];
    }
    return new String(out);
  }

  /**
   * True when {@code token} was minted for this Call-ID and one of the two tags of an in-dialog
   * request (compared in constant time).
   */
  public boolean valid(String token, String callId, String fromTag, String toTag) {
    if (token == null || token.length() != BYTES * 2 || callId == null) return false;
    byte[] t = token.getBytes(StandardCharsets.US_ASCII);
    // both compared, so the time taken does not tell which one matched
    boolean ok = MessageDigest.isEqual(t, mint(callId, fromTag).getBytes(StandardCharsets.US_ASCII));
    ok |= MessageDigest.isEqual(t, mint(callId, toTag).getBytes(StandardCharsets.US_ASCII));
    return ok;
  }

  private byte[] mac(String callId, String tag) {
    Mac m = macs.get();
    m.update(callId.getBytes(StandardCharsets.UTF_8));
    m.update((byte) '\n');
    return m.doFinal(tag == null ? new byte[0] : tag.getBytes(StandardCharsets.UTF_8));
  }
}
