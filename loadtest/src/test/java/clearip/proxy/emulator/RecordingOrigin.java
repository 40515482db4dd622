package clearip.proxy.emulator;

import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.message.SipResponse;
import clearip.proxy.streams.transport.Origin;
import clearip.proxy.streams.transport.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An origin that records what is sent back to it, and whether it was closed. */
final class RecordingOrigin implements Origin {
  final BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
  private final Transport transport;
  private final InetSocketAddress remote;
  volatile boolean closed;

  RecordingOrigin(Transport transport, String remoteIp) {
    this.transport = transport;
    this.remote = new InetSocketAddress(remoteIp, 5060);
  }

  static RecordingOrigin udp() {
    return new RecordingOrigin(Transport.UDP, "127.0.0.1");
  }

  @Override
  public Transport transport() {
    return transport;
  }

  @Override
  public InetSocketAddress remote() {
    return remote;
  }

  @Override
  public InetSocketAddress local() {
    return new InetSocketAddress("127.0.0.1", 5070);
  }

  @Override
  public boolean reply(byte[] message) {
    return replies.add(message);
  }

  @Override
  public boolean isOpen() {
    return !closed;
  }

  @Override
  public void close() {
    if (transport != Transport.UDP) closed = true;
  }

  /** The next response, decoded; fails when none comes within the bound. */
  SipResponse next(Duration within) throws InterruptedException {
    byte[] b = replies.poll(within.toMillis(), TimeUnit.MILLISECONDS);
    if (b == null) throw new AssertionError("no response within " + within);
    return decode(b);
  }

  SipResponse next() throws InterruptedException {
    return next(Duration.ofSeconds(5));
  }

  static SipResponse decode(byte[] b) {
    Decoded d = new SipDecoder().decode(b, 0, b.length, SipDecoder.Framing.STREAM);
    if (d instanceof Decoded.Ok ok && ok.message() instanceof SipResponse r) return r;
    throw new AssertionError("not a well-formed response (" + d + "):\n"
        + new String(b, java.nio.charset.StandardCharsets.UTF_8));
  }
}
