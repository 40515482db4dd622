package clearip.proxy.streams.transport;

import clearip.proxy.sip.message.SipRequest;
import clearip.proxy.sip.message.SipResponse;

/**
 * Receives every well-formed message from the listeners, already checked against the source
 * allow-list and decoded. Called on stream or IO threads: implementations must not block.
 */
public interface InboundHandler {

  void onRequest(SipRequest request, Origin origin);

  void onResponse(SipResponse response, Origin origin);
}
