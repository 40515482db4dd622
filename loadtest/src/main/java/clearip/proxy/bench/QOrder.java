package clearip.proxy.bench;

/**
 * Owns the Contact ordering both codecs' redirect benchmarks share, so they differ only in how
 * they parse: highest q first, equal q in the order received (RFC 3261 section 16.6, the 302's
 * own order breaking ties).
 */
final class QOrder {
  private QOrder() {}

  /**
   * Sorts {@code items[0, n)} by {@code q} descending, in place and stable. Insertion sort: a 302
   * carries a dozen Contacts, usually already in order, so this is one pass without allocation.
   */
  static <T> void sortDescending(T[] items, double[] q, int n) {
    for (int i = 1; i < n; i++) {
      T item = items[i];
      double v = q[i];
      int j = i - 1;
      while (j >= 0 && q[j] < v) {
        items[j + 1] = items[j];
        q[j + 1] = q[j];
        j--;
      }
      items[j + 1] = item;
      q[j + 1] = v;
    }
  }
}
