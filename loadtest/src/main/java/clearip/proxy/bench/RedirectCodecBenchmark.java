package clearip.proxy.bench;

import clearip.proxy.sip.codec.Decoded;
import clearip.proxy.sip.codec.SipDecoder;
import clearip.proxy.sip.header.NameAddr;
import clearip.proxy.sip.message.SipMessage;
import java.util.List;
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
 * Owns the measurement of reading ClearIP's 302 with our codec: decode it and walk its 12
 * Contacts in q order, as inline rerouting does.
 *
 * <p>Not final, and its state not private: JMH generates a subclass that reaches both.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RedirectCodecBenchmark {
  final SipDecoder decoder = new SipDecoder();
  final byte[] redirect = BenchMessages.bytes(BenchMessages.REDIRECT);

  @Benchmark
  public void contactsInQOrder(Blackhole bh) {
    NameAddr[] contacts = inQOrder();
    for (NameAddr c : contacts) bh.consume(c.uri());
  }

  NameAddr[] inQOrder() {
    Decoded d = decoder.decode(redirect, 0, redirect.length, SipDecoder.Framing.DATAGRAM);
    if (!(d instanceof Decoded.Ok ok)) {
      throw new IllegalStateException("fixture 302 does not decode: " + d);
    }
    SipMessage m = ok.message();
    List<NameAddr> list = m.contacts();
    int n = list.size();
    NameAddr[] contacts = list.toArray(new NameAddr[n]);
    double[] q = new double[n];
    for (int i = 0; i < n; i++) q[i] = contacts[i].q();
    QOrder.sortDescending(contacts, q, n);
    return contacts;
  }
}
