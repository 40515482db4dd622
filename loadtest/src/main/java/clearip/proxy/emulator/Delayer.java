package clearip.proxy.emulator;

import java.time.Duration;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;

/** Runs a task later without holding a thread meanwhile (a scheduler, never a sleep). */
@FunctionalInterface
public interface Delayer {

  Cancellable after(Duration delay, Runnable task);

  /** The actor system's scheduler, running tasks on its default dispatcher. */
  static Delayer of(ActorSystem<?> system) {
    return (delay, task) -> system.scheduler().scheduleOnce(delay, task,
        system.executionContext());
  }
}
