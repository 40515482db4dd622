package clearip.proxy.streams.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RateLimitedLogTest {
  static final long SECOND = 1_000_000_000L;
  final Logger logger = (Logger) LoggerFactory.getLogger("rate-limited-log-test");
  final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  final AtomicLong clock = new AtomicLong(42);
  final RateLimitedLog log = new RateLimitedLog(logger, 10 * SECOND, clock::get);

  @BeforeEach
  void attach() {
    lines.start();
    logger.addAppender(lines);
  }

  @AfterEach
  void detach() {
    logger.detachAppender(lines);
  }

  List<String> written() {
    return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  static InetAddress ip(int last) throws Exception {
    return InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) last});
  }

  @Test
  void aBurstIsOneLineAndItsSummaryIsWrittenWhenItIsOver() throws Exception {
    for (int i = 0; i < 1000; i++) log.warn("Malformed SIP from x: " + i, ip(i < 990 ? 7 : 9));
    assertEquals(List.of("Malformed SIP from x: 0"), written());
    log.flushIfDue();
    assertEquals(1, written().size(), "not before the period is over");
    clock.addAndGet(10 * SECOND);
    log.flushIfDue(); // nothing else came: the summary is written all the same
    assertEquals("Malformed SIP from x: 999: 999 similar events since the previous warning, "
        + "from 192.0.2.7 (989), 192.0.2.9 (10)", written().get(1));
    clock.addAndGet(10 * SECOND);
    log.flushIfDue();
    assertEquals(2, written().size(), "nothing held back: nothing more");
  }

  @Test
  void sourcesBeyondTheFirstFewAreOthers() throws Exception {
    log.warn("first", ip(1));
    for (int i = 0; i < 20; i++) log.warn("next", ip(100 + i));
    clock.addAndGet(10 * SECOND);
    log.warn("after", ip(1));
    String line = written().get(1);
    assertEquals(true, line.startsWith("after (20 similar events since the previous warning, from"),
        line);
    assertEquals(true, line.endsWith(", others (12))"), line);
  }
}
