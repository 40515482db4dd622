package clearip.proxy.bench;

import gov.nist.javax.sip.header.Contact;
import gov.nist.javax.sip.header.ContactList;
import gov.nist.javax.sip.header.HeaderFactoryImpl;
import gov.nist.javax.sip.message.SIPMessage;
import gov.nist.javax.sip.message.SIPRequest;
import gov.nist.javax.sip.parser.StringMsgParser;
import java.util.concurrent.TimeUnit;
import javax.sip.header.CSeqHeader;
import javax.sip.header.HeaderFactory;
import javax.sip.header.MaxForwardsHeader;
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
 * Owns the baseline: the same INVITE relay and 302 walk as {@link InviteCodecBenchmark} and
 * {@link RedirectCodecBenchmark}, done with the JAIN-SIP reference implementation's parser,
 * header objects and encoder, on the same bytes.
 *
 * <p>Not final, and its state not private: JMH generates a subclass that reaches both.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class JainSipCodecBenchmark {
  // one parser per thread, as a JAIN-SIP stack keeps one per message channel
  final StringMsgParser parser = new StringMsgParser();
  final HeaderFactory headers = new HeaderFactoryImpl();
  final byte[] invite = BenchMessages.bytes(BenchMessages.INVITE);
  final byte[] redirect = BenchMessages.bytes(BenchMessages.REDIRECT);

  /** Parse, read the routing fields, push a Via, decrement Max-Forwards, encode. */
  @Benchmark
  public byte[] invite(Blackhole bh) throws Exception {
    SIPRequest req = (SIPRequest) parser.parseSIPMessage(invite, true, false, null);
    bh.consume(req.getTopmostVia().getBranch());
    bh.consume(req.getCallId().getCallId());
    CSeqHeader cseq = req.getCSeq();
    bh.consume(cseq.getSeqNumber());
    bh.consume(cseq.getMethod());
    MaxForwardsHeader maxForwards = (MaxForwardsHeader) req.getHeader(MaxForwardsHeader.NAME);
    bh.consume(maxForwards.getMaxForwards());
    bh.consume(req.getTo().getTag());
    bh.consume(req.getRequestURI().toString());
    req.addFirst(headers.createViaHeader(BenchMessages.PROXY_VIA_HOST,
        BenchMessages.PROXY_VIA_PORT, "TLS", BenchMessages.PROXY_VIA_BRANCH));
    maxForwards.decrementMaxForwards();
    return req.encodeAsBytes("TLS");
  }

  /** Parse the 302 and walk its Contacts in q order. */
  @Benchmark
  public void contactsInQOrder(Blackhole bh) throws Exception {
    Contact[] contacts = inQOrder();
    for (Contact c : contacts) bh.consume(c.getAddress().getURI());
  }

  Contact[] inQOrder() throws Exception {
    SIPMessage m = parser.parseSIPMessage(redirect, true, false, null);
    ContactList list = m.getContactHeaders();
    int n = list.size();
    Contact[] contacts = list.toArray(new Contact[n]);
    double[] q = new double[n];
    for (int i = 0; i < n; i++) {
      float v = contacts[i].getQValue();
      q[i] = v < 0 ? 1.0 : v; // JAIN-SIP answers -1 when q is absent; RFC 3261 reads it as 1
    }
    QOrder.sortDescending(contacts, q, n);
    return contacts;
  }
}
