package clearip.proxy.streams.framing;

import clearip.proxy.sip.codec.ParseLimits;
import clearip.proxy.sip.codec.SipStreamFramer.Frame;
import clearip.proxy.sip.codec.SipStreamFramer;
import java.time.Duration;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * Cuts the bytes of one TCP/TLS connection into SIP frames with core's {@link SipStreamFramer}
 * (one framer per materialisation, i.e. per connection).
 *
 * <p>Emits {@link Frame.Message} for each message, {@link Frame.Ping} for each CRLFCRLF
 * keep-alive (the connection answers with a CRLF pong), and at most one {@link Frame.Error}: after
 * it the stream cannot be resynchronised, so the stage emits nothing more and discards further
 * input while the connection sends its error response and closes. It does not complete on an
 * error itself, so the read side stays open until the connection closes from the write side.
 *
 * <p>Two clocks keep a peer from holding the connection with next to nothing: a message begun
 * must be complete within the message timeout, and (inbound connections) the first message must
 * be complete within the first-message timeout. Either fails the stage with a {@link
 * MessageTimeoutException}, which closes the connection.
 */
public final class SipFramingStage extends GraphStage<FlowShape<ByteString, Frame>> {

  private final Inlet<ByteString> in = Inlet.create("SipFraming.in");
  private final Outlet<Frame> out = Outlet.create("SipFraming.out");
  private final FlowShape<ByteString, Frame> shape = FlowShape.of(in, out);
  private static final String FIRST = "first-message";
  private static final String MESSAGE = "message";
  private final ParseLimits limits;
  private final Duration firstMessageTimeout;
  private final Duration messageTimeout;

  /**
   * @param firstMessageTimeout null: none (outbound connections, where the peer only answers)
   * @param messageTimeout null: none
   */
  public SipFramingStage(ParseLimits limits, Duration firstMessageTimeout,
      Duration messageTimeout) {
    this.limits = limits;
    this.firstMessageTimeout = firstMessageTimeout;
    this.messageTimeout = messageTimeout;
  }

  /** The stage as a flow, without timeouts. */
  public static Flow<ByteString, Frame, NotUsed> flow(ParseLimits limits) {
    return flow(limits, null, null);
  }

  /** The stage as a flow. */
  public static Flow<ByteString, Frame, NotUsed> flow(ParseLimits limits,
      Duration firstMessageTimeout, Duration messageTimeout) {
    return Flow.fromGraph(new SipFramingStage(limits, firstMessageTimeout, messageTimeout));
  }

  @Override
  public FlowShape<ByteString, Frame> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new TimerGraphStageLogic(shape) {
      private final SipStreamFramer framer = new SipStreamFramer(limits);
      private boolean failed;
      private boolean sawMessage;

      @Override
      public void preStart() {
        if (firstMessageTimeout != null) scheduleOnce(FIRST, firstMessageTimeout);
      }

      @Override
      public void onTimer(Object key) {
        if (failed) return;
        failStage(key.equals(FIRST)
            ? new MessageTimeoutException("no SIP message within "
                + firstMessageTimeout.toMillis() + " ms of the connection")
            : new MessageTimeoutException("a SIP message was not complete within "
                + messageTimeout.toMillis() + " ms"));
      }

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            ByteString bytes = grab(in);
            if (failed) {
              pull(in); // discard: the connection is about to close
              return;
            }
            // no copy for the usual single-chunk read; the framer copies what it keeps
            framer.feed(bytes.toArrayUnsafe());
            emitOrPull();
          }

          @Override
          public void onUpstreamFinish() {
            // whatever is buffered is an incomplete message (or a lone CRLF): nothing to emit
            completeStage();
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            emitOrPull();
          }
        });
      }

      private void emitOrPull() {
        if (failed) {
          if (!hasBeenPulled(in) && !isClosed(in)) pull(in);
          return;
        }
        if (!isAvailable(out)) return;
        Frame f = framer.next();
        if (f != null) {
          if (f instanceof Frame.Error) {
            failed = true;
            cancelTimer(MESSAGE);
            cancelTimer(FIRST);
          } else if (f instanceof Frame.Message) {
            cancelTimer(MESSAGE); // the next message's clock starts with its first byte
            if (!sawMessage) {
              sawMessage = true;
              cancelTimer(FIRST);
            }
          }
          push(out, f);
          if (failed && !hasBeenPulled(in) && !isClosed(in)) pull(in);
        } else {
          if (messageTimeout != null && !isTimerActive(MESSAGE) && framer.inMessage()) {
            scheduleOnce(MESSAGE, messageTimeout);
          }
          if (!hasBeenPulled(in) && !isClosed(in)) pull(in);
        }
      }
    };
  }
}
