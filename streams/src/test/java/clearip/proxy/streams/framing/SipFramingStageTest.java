package clearip.proxy.streams.framing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import clearip.proxy.sip.codec.ParseLimits;
import clearip.proxy.sip.codec.SipStreamFramer.Frame;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SipFramingStageTest {
  static ActorSystem system;

  static final String MSG = "OPTIONS sip:a@example.com SIP/2.0\r\n"
      + "Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1\r\n"
      + "Content-Length: 4\r\n\r\nbody";

  @BeforeAll
  static void start() {
    system = ActorSystem.create("framing-test");
  }

  @AfterAll
  static void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static List<Frame> run(List<String> chunks) throws Exception {
    return Source.from(chunks).map(ByteString::fromString)
        .via(SipFramingStage.flow(ParseLimits.DEFAULT))
        .runWith(Sink.seq(), system).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void cutsMessagesAcrossAndWithinChunksAndReportsPings() throws Exception {
    String two = MSG + "\r\n\r\n" + MSG;
    List<Frame> frames = run(List.of(two.substring(0, 5), two.substring(5, 70),
        two.substring(70)));
    assertEquals(3, frames.size());
    assertEquals(MSG, new String(((Frame.Message) frames.get(0)).bytes(),
        StandardCharsets.UTF_8));
    assertSame(Frame.Ping.INSTANCE, frames.get(1));
    assertInstanceOf(Frame.Message.class, frames.get(2));
  }

  @Test
  void emitsOneErrorAndThenNothingMore() throws Exception {
    String noLength = "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n";
    List<Frame> frames = run(List.of(noLength, MSG, MSG));
    assertEquals(1, frames.size());
    assertInstanceOf(Frame.Error.class, frames.get(0));
  }
}
