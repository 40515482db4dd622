package clearip.proxy.bench;

import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.message.MessageEditor;
import clearip.proxy.sip.message.SipRequest;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Owns the measurement of what the proxy does to every INVITE it relays with our codec: decode,
 * read the routing fields, push its Via, decrement Max-Forwards and serialise.
 *
 * <p>Not final, and its state not private: JMH generates a subclass that reaches both.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class InviteCodecBenchmark {
  final SipDecoder decoder = new SipDecoder();
  final byte[] invite = BenchMessages.bytes(BenchMessages.INVITE);
  // a send buffer reused across messages, as a transport that owns its buffers would
  final byte[] out = new byte[8192];

  /** Decode only, no field read and no edit: the decoder's share of the two benchmarks below. */
  @Benchmark
  public Decoded decodeOnly() {
    return decoder.decode(invite, 0, invite.length, SipDecoder.Framing.DATAGRAM);
  }

  /** Serialises into a new array per message. */
  @Benchmark
  public byte[] toBytes(Blackhole bh) {
    return relay(bh).toBytes();
  }

  /** Serialises into the reused buffer; no output array per message. */
  @Benchmark
  public int writeTo(Blackhole bh) {
    return relay(bh).writeTo(out, 0);
  }

  MessageEditor relay(Blackhole bh) {
    Decoded d = decoder.decode(invite, 0, invite.length, SipDecoder.Framing.DATAGRAM);
    if (!(d instanceof Decoded.Ok ok) || !(ok.message() instanceof SipRequest req)) {
      throw new IllegalStateException("fixture INVITE does not decode: " + d);
    }
    // the fields the proxy routes and matches transactions on
    bh.consume(req.topViaBranch());
    bh.consume(req.callId());
    bh.consume(req.cseqNumber());
    bh.consume(req.cseqMethod());
    bh.consume(req.maxForwards());
    bh.consume(req.toTag());
    bh.consume(req.requestUri());
    return req.edit().pushVia(BenchMessages.PROXY_VIA).decrementMaxForwards();
  }
}
