package clearip.proxy.emulator;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte array for assembling one message; reused per thread, never shared. */
final class ByteBuilder {
  private byte[] buf;
  private int len;

  ByteBuilder(int capacity) {
    buf = new byte[capacity];
  }

  ByteBuilder reset() {
    len = 0;
    return this;
  }

  private void ensure(int extra) {
    if (len + extra > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
  }

  ByteBuilder append(byte[] b) {
    return append(b, 0, b.length);
  }

  ByteBuilder append(byte[] b, int from, int to) {
    int n = to - from;
    ensure(n);
    System.arraycopy(b, from, buf, len, n);
    len += n;
    return this;
  }

  /** Appends text as UTF-8 (one byte per char on the usual all-ASCII path). */
  ByteBuilder append(CharSequence s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        byte[] u = s.subSequence(i, n).toString().getBytes(StandardCharsets.UTF_8);
        return append(u);
      }
      buf[len++] = (byte) c;
    }
    return this;
  }

  ByteBuilder append(byte b) {
    ensure(1);
    buf[len++] = b;
    return this;
  }

  int length() {
    return len;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }
}
