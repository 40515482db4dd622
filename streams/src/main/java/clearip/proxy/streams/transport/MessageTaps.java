package clearip.proxy.streams.transport;

import java.util.Objects;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * The {@link MessageTap} in force for one actor system's transports and upstream links, switched
 * at run time (call traces). An extension, so that every listener, connection and upstream link
 * of the system finds it without being handed it.
 *
 * <p>Tap points read {@link #current()} once per message and skip all work when it is {@link
 * MessageTap#NONE}.
 */
public final class MessageTaps implements Extension {
  private static final Id ID = new Id();

  private volatile MessageTap tap = MessageTap.NONE;

  private MessageTaps() {}

  public static MessageTaps get(ClassicActorSystemProvider system) {
    return ID.get(system.classicSystem());
  }

  /** The tap in force; {@link MessageTap#NONE} when nothing is tapping. */
  public MessageTap current() {
    return tap;
  }

  /** Puts {@code t} in force, replacing any other tap. */
  public synchronized void install(MessageTap t) {
    this.tap = Objects.requireNonNull(t);
  }

  /** Removes {@code t} if it is still the one in force; true when it was. */
  public synchronized boolean remove(MessageTap t) {
    if (tap != t) return false;
    tap = MessageTap.NONE;
    return true;
  }

  private static final class Id extends AbstractExtensionId<MessageTaps> {
    @Override
    public MessageTaps createExtension(ExtendedActorSystem system) {
      return new MessageTaps();
    }
  }
}
