package clearip.proxy.sip.syntax;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An ordered list of {@code ;name[=value]} parameters as they appeared on the wire: names keep
 * their case, values keep their quotes, so writing them back is byte-faithful.
 */
public final class Parameters {
  public static final Parameters EMPTY = new Parameters(List.of());

  /** One parameter; {@code value} is null for a flag such as {@code ;lr} or {@code ;rport}. */
  public record Param(String name, String value) {
    @Override
    public String toString() {
      return value == null ? name : name + "=" + value;
    }
  }

  private final List<Param> params;

  private Parameters(List<Param> params) {
    this.params = params;
  }

  public static Parameters of(List<Param> params) {
    return params.isEmpty() ? EMPTY : new Parameters(List.copyOf(params));
  }

  /** Parses {@code ;a=b;c} from b[from,to) already validated by the header scanner. */
  public static Parameters parse(byte[] b, int from, int to) {
    // most lists hold one parameter (a Contact's q, a From's tag): no ArrayList for those
    Param first = null;
    List<Param> out = null;
    int i = from;
    while (true) {
      i = SipChars.skipLws(b, i, to);
      if (i >= to || b[i] != ';') break;
      i = SipChars.skipLws(b, i + 1, to);
      int ns = i;
      i = SipChars.skipToken(b, i, to);
      String name = name(b, ns, i);
      String value = null;
      int j = SipChars.skipLws(b, i, to);
      if (j < to && b[j] == '=') {
        j = SipChars.skipLws(b, j + 1, to);
        int vs = j;
        if (j < to && b[j] == '"') {
          j = SipChars.skipQuoted(b, j, to);
          if (j < 0) j = to;
        } else {
          while (j < to && SipChars.isParamValueChar(b[j])) j++;
        }
        value = SipChars.unfolded(b, vs, j);
        i = j;
      }
      Param p = new Param(name, value);
      if (first == null) {
        first = p;
      } else {
        if (out == null) {
          out = new ArrayList<>(4);
          out.add(first);
        }
        out.add(p);
      }
    }
    if (first == null) return EMPTY;
    return new Parameters(out == null ? List.of(first) : Collections.unmodifiableList(out));
  }

  private static final String[] COMMON_NAMES = {"q", "tag", "transport", "lr", "expires",
      "branch", "received", "rport", "user", "maddr", "ttl", "method", "cause", "text"};

  /** A parameter name as a string: a shared constant for the common ones, spelled exactly so. */
  private static String name(byte[] b, int from, int to) {
    for (String n : COMMON_NAMES) {
      if (SipChars.equalsBytes(b, from, to - from, n)) return n;
    }
    return SipChars.string(b, from, to);
  }

  public List<Param> asList() {
    return params;
  }

  public boolean isEmpty() {
    return params.isEmpty();
  }

  /** True when a parameter of that name (any case) is present, with or without a value. */
  public boolean has(String name) {
    return find(name) != null;
  }

  /** The value (quotes kept) of the first parameter of that name, or null if absent or a flag. */
  public String get(String name) {
    Param p = find(name);
    return p == null ? null : p.value();
  }

  private Param find(String name) {
    for (Param p : params) {
      if (p.name().equalsIgnoreCase(name)) return p;
    }
    return null;
  }

  /** A copy with the parameter set (replacing the first of that name, else appended). */
  public Parameters with(String name, String value) {
    List<Param> out = new ArrayList<>(params.size() + 1);
    boolean replaced = false;
    for (Param p : params) {
      if (!replaced && p.name().equalsIgnoreCase(name)) {
        out.add(new Param(p.name(), value));
        replaced = true;
      } else {
        out.add(p);
      }
    }
    if (!replaced) out.add(new Param(name, value));
    return new Parameters(Collections.unmodifiableList(out));
  }

  /** A copy without any parameter of that name. */
  public Parameters without(String name) {
    List<Param> out = new ArrayList<>(params.size());
    for (Param p : params) {
      if (!p.name().equalsIgnoreCase(name)) out.add(p);
    }
    return out.size() == params.size() ? this : of(out);
  }

  /** The parameters as {@code ;a=b;c}, empty when there are none. */
  @Override
  public String toString() {
    if (params.isEmpty()) return "";
    StringBuilder sb = new StringBuilder();
    for (Param p : params) sb.append(';').append(p);
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Parameters other && params.equals(other.params);
  }

  @Override
  public int hashCode() {
    return params.hashCode();
  }
}
