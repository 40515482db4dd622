package clearip.proxy.ops.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import clearip.proxy.ops.server.ProxyServer;

/**
 * Keeps the warm-up's private copy of the proxy out of the log below WARN (logback.xml,
 * logback-json.xml): its listeners and its connection to the in-process ClearIP would read as
 * facts about the real proxy ("connected to ClearIP /127.0.0.1:41234"). Its actors are told
 * apart by the actor system they log from (Pekko's MDC key {@code sourceActorSystem}).
 */
public final class WarmUpLogFilter extends Filter<ILoggingEvent> {
  @Override
  public FilterReply decide(ILoggingEvent event) {
    if (event.getLevel().isGreaterOrEqual(Level.WARN)) return FilterReply.NEUTRAL;
    String system = event.getMDCPropertyMap().get("sourceActorSystem");
    // the copy and its in-process peers (clearip-proxy-warmup-peers)
    return system != null && system.startsWith(ProxyServer.WARM_UP_SYSTEM) ? FilterReply.DENY
        : FilterReply.NEUTRAL;
  }
}
