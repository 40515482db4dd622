package clearip.proxy.ops.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AsyncAppenderBase;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** logback-json.xml loads without errors and writes one JSON object per line. */
class JsonLoggingConfigTest {

  @Test
  void jsonConfigurationWritesOneObjectPerLine() throws Exception {
    URL config = getClass().getClassLoader().getResource("logback-json.xml");
    assertNotNull(config, "logback-json.xml on the classpath");
    LoggerContext ctx = new LoggerContext(); // separate from the test's own logging
    ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    try {
      JoranConfigurator j = new JoranConfigurator();
      j.setContext(ctx);
      j.doConfigure(config);
      for (Status s : ctx.getStatusManager().getCopyOfStatusList()) {
        assertTrue(s.getLevel() < Status.ERROR, "logback: " + s);
      }
      Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      AsyncAppenderBase<?> async = (AsyncAppenderBase<?>) root.getAppender("ASYNC");
      @SuppressWarnings("unchecked")
      ConsoleAppender<ch.qos.logback.classic.spi.ILoggingEvent> console =
          (ConsoleAppender<ch.qos.logback.classic.spi.ILoggingEvent>) async.getAppender("CONSOLE");
      LoggingEvent e = new LoggingEvent("x", ctx.getLogger("clearip.proxy.test"),
          ch.qos.logback.classic.Level.WARN, "Malformed SIP from {}: \"quoted\"\nline",
          null, new Object[] {"/192.0.2.1:5060"});
      String line = new String(console.getEncoder().encode(e), StandardCharsets.UTF_8);
      assertTrue(line.endsWith("\n"));
      assertFalse(line.substring(0, line.length() - 1).contains("\n"), "one line: " + line);
      JsonNode n = new ObjectMapper().readTree(line);
      assertEquals("WARN", n.get("level").asText());
      assertEquals("clearip.proxy.test", n.get("loggerName").asText());
      assertEquals("Malformed SIP from /192.0.2.1:5060: \"quoted\"\nline",
          n.get("formattedMessage").asText());
    } finally {
      ctx.stop();
    }
  }
}
