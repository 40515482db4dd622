package clearip.proxy.ops.cluster;

import java.time.Instant;

/**
 * One replicated operator setting as it travels: its value, the node it was changed on (and that
 * node's process, so a restarted node adopts even its own earlier changes), and when. Carried as
 * one string in a last-writer-wins map, so it needs no serializer of its own.
 *
 * @param key {@code access.allow}, {@code emergency.numbers}, {@code upstream.uri} or {@code
 *     trace}
 * @param origin the cluster address ({@code host:port}) of the node it was changed on
 * @param process the process it was changed in
 * @param at when, in milliseconds since the epoch
 */
record Setting(String key, String value, String origin, String process, long at) {

  String encode() {
    return at + "|" + origin + "|" + process + "|" + value;
  }

  /** The setting written by {@link #encode()}; null when {@code text} is not one. */
  static Setting decode(String key, String text) {
    String[] p = text.split("\\|", 4);
    if (p.length < 4) return null;
    try {
      return new Setting(key, p[3], p[1], p[2], Long.parseLong(p[0]));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return key + " = " + value + " (changed on " + origin + " at " + Instant.ofEpochMilli(at)
        + ")";
  }
}
