package clearip.proxy.sip.message;

import java.util.List;

/**
 * The raw header field values a stateless response must copy from the request (RFC 3261
 * section 8.2.6.2): every Via in order, From, To, Call-ID and CSeq. Values are as received
 * (unfolded); null where the request lacked or garbled them.
 */
public record ResponseContext(List<String> vias, String from, String to, String callId,
    String cseq) {

  public static final ResponseContext EMPTY = new ResponseContext(List.of(), null, null, null,
      null);

  public ResponseContext {
    vias = List.copyOf(vias);
  }

  public boolean hasVia() {
    return !vias.isEmpty();
  }
}
