package clearip.proxy.streams.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({"PT0S, 0s", "PT0.25S, 250ms", "PT0.0125S, 12.5ms", "PT0.00004S, 0.04ms",
      "PT1.5S, 1.5s", "PT2S, 2s", "PT12.034S, 12.034s", "PT75.25S, 75.25s", "PT90S, 90s",
      "PT10M, 10m", "PT2H, 2h", "PT24H, 1d", "PT-0.5S, -500ms"})
  void writesDurationsAsTheConfigurationDoes(String iso, String text) {
    Duration d = Duration.parse(iso);
    assertEquals(text, Durations.text(d));
    // and the configuration reads each back
    assertEquals(d, ConfigFactory.parseString("d = " + text).getDuration("d"));
  }
}
