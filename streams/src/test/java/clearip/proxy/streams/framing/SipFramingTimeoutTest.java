package clearip.proxy.streams.framing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import clearip.proxy.sip.codec.ParseLimits;
import clearip.proxy.sip.codec.SipStreamFramer.Frame;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The framing stage's two clocks, on Pekko's manual time. */
class SipFramingTimeoutTest {
  static final ActorTestKit kit = ActorTestKit.create(ManualTime.config());
  static final ManualTime time = ManualTime.get(kit.system());
  static final Duration FIRST = Duration.ofSeconds(10);
  static final Duration MESSAGE = Duration.ofSeconds(5);

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  record Running(BoundedSourceQueue<ByteString> in, List<Frame> frames,
      CompletionStage<Done> done) {
    void send(String s) {
      in.offer(ByteString.fromString(s));
    }

    /** Waits (real time) until {@code n} frames came out. */
    void awaitFrames(int n) {
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
        assertEquals(n, frames.size());
        return null;
      });
    }

    /** Lets virtual time pass in steps until the stage fails; its exception. */
    Throwable failure() throws Exception {
      for (int i = 0; i < 100; i++) {
        time.timePasses(Duration.ofSeconds(1));
        try {
          done.toCompletableFuture().get(50, TimeUnit.MILLISECONDS);
          throw new AssertionError("completed without a failure");
        } catch (java.util.concurrent.TimeoutException notYet) {
          // more time
        } catch (ExecutionException e) {
          return e.getCause();
        }
      }
      throw new AssertionError("never failed");
    }
  }

  static Running start(Duration first) {
    List<Frame> frames = new CopyOnWriteArrayList<>();
    Pair<BoundedSourceQueue<ByteString>, CompletionStage<Done>> m =
        Source.<ByteString>queue(16)
            .via(SipFramingStage.flow(ParseLimits.DEFAULT, first, MESSAGE))
            .toMat(Sink.foreach(frames::add), Keep.both())
            .run(kit.system());
    return new Running(m.first(), frames, m.second());
  }

  @Test
  void aConnectionThatSendsNoMessageFails() throws Exception {
    Running r = start(FIRST);
    r.send("\r\n\r\n"); // keep-alives are no message
    r.awaitFrames(1);
    Throwable t = r.failure();
    assertInstanceOf(MessageTimeoutException.class, t);
    assertEquals("no SIP message within 10000 ms of the connection", t.getMessage());
  }

  @Test
  void aMessageTrickledTooSlowlyFails() throws Exception {
    Running r = start(null);
    r.send(SipFramingStageTest.MSG + "INVITE sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h");
    r.awaitFrames(1);
    Throwable t = r.failure();
    assertEquals("a SIP message was not complete within 5000 ms", t.getMessage());
  }

  @Test
  void wholeMessagesAndKeepAlivesKeepTheConnection() throws Exception {
    Running r = start(FIRST);
    r.send(SipFramingStageTest.MSG + "\r\n"); // a message, then half a keep-alive
    r.awaitFrames(1);
    time.timePasses(Duration.ofMinutes(1));
    // had a clock fired, the stage would have failed before taking these bytes
    r.send("\r\n" + SipFramingStageTest.MSG);
    r.awaitFrames(3);
    assertInstanceOf(Frame.Message.class, r.frames().get(2));
    assertFalse(r.done().toCompletableFuture().isDone());
    r.in().complete();
  }
}
