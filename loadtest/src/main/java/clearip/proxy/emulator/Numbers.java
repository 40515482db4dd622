package clearip.proxy.emulator;

/** Telephone-number text as the rules compare it. */
final class Numbers {
  private Numbers() {}

  /**
   * Visual separators ({@code - . ( )}, RFC 3966) removed, then a leading '+' removed, so that
   * {@code +1-401-640-1234}, {@code 1(401)6401234} and {@code 14016401234} all compare equal.
   */
  static String normalize(String s) {
    if (s == null) return "";
    StringBuilder sb = null;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      boolean drop = c == '-' || c == '.' || c == '(' || c == ')' || (c == '+' && i == 0);
      if (drop && sb == null) {
        sb = new StringBuilder(n);
        sb.append(s, 0, i);
      } else if (!drop && sb != null) {
        sb.append(c);
      }
    }
    return sb == null ? s : sb.toString();
  }
}
