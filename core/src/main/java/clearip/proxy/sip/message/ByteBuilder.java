package clearip.proxy.sip.message;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte array for assembling one message, ASCII written a byte per char. Not
 * thread-safe: one per message, or reused per thread.
 */
public final class ByteBuilder {
  private byte[] buf;
  private int len;

  public ByteBuilder(int capacity) {
    buf = new byte[capacity];
  }

  public ByteBuilder reset() {
    len = 0;
    return this;
  }

  private void ensure(int extra) {
    if (len + extra > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
  }

  public ByteBuilder append(byte[] b) {
    return append(b, 0, b.length);
  }

  public ByteBuilder append(byte[] b, int from, int to) {
    int n = to - from;
    ensure(n);
    System.arraycopy(b, from, buf, len, n);
    len += n;
    return this;
  }

  /** Appends text as UTF-8 (one byte per char on the usual all-ASCII path). */
  public ByteBuilder append(CharSequence s) {
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

  public ByteBuilder append(byte b) {
    ensure(1);
    buf[len++] = b;
    return this;
  }

  public int length() {
    return len;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  /** Appends a non-negative number in decimal (a negative one as Long.toString gives it). */
  public ByteBuilder appendDecimal(long v) {
    if (v < 0) return append(Long.toString(v));
    int d = 1;
    for (long x = v; x >= 10; x /= 10) d++;
    ensure(d);
    for (int i = len + d - 1; i >= len; i--) {
      buf[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    len += d;
    return this;
  }

  /**
   * The bytes, handing over the array itself when it is exactly full (a builder sized up
   * front); the builder must not be used afterwards.
   */
  public byte[] take() {
    return len == buf.length ? buf : Arrays.copyOf(buf, len);
  }
}
