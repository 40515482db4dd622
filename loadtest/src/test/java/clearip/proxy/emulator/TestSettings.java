package clearip.proxy.emulator;

import com.typesafe.config.ConfigFactory;

/** Settings from a HOCON snippet placed inside {@code clearip-emulator { }}, over the defaults. */
final class TestSettings {
  private TestSettings() {}

  static EmulatorSettings of(String section) {
    return EmulatorSettings.fromConfig(ConfigFactory
        .parseString("clearip-emulator {\n" + section + "\n}")
        .withFallback(ConfigFactory.defaultReference())
        .resolve()
        .getConfig(EmulatorSettings.SECTION));
  }
}
