package clearip.proxy.emulator;

import java.util.ArrayList;
import java.util.List;

/**
 * Text with variables, compiled once: {@code ${user}} (the called user part as written in the
 * Request-URI or To), {@code ${called}} (the called number, normalised) and {@code ${caller}} (the
 * From user part as written). Everything else is copied verbatim.
 */
public final class Template {
  /** The variables a template may use. */
  enum Var {
    USER("user"),
    CALLED("called"),
    CALLER("caller");

    final String token;

    Var(String token) {
      this.token = token;
    }
  }

  private final String text;
  private final String[] literals; // literals[i] precedes vars[i]; one more literal than vars
  private final Var[] vars;

  private Template(String text, String[] literals, Var[] vars) {
    this.text = text;
    this.literals = literals;
    this.vars = vars;
  }

  /**
   * Compiles a template.
   *
   * @throws IllegalArgumentException naming the unknown or unterminated variable
   */
  public static Template compile(String text) {
    List<String> lits = new ArrayList<>(2);
    List<Var> vs = new ArrayList<>(1);
    int p = 0;
    while (true) {
      int s = text.indexOf("${", p);
      if (s < 0) {
        lits.add(text.substring(p));
        break;
      }
      int e = text.indexOf('}', s + 2);
      if (e < 0) throw new IllegalArgumentException("unterminated ${ in '" + text + "'");
      String name = text.substring(s + 2, e);
      Var v = null;
      for (Var c : Var.values()) {
        if (c.token.equals(name)) v = c;
      }
      if (v == null) {
        throw new IllegalArgumentException("unknown variable ${" + name + "} in '" + text
            + "' (known: ${user}, ${called}, ${caller})");
      }
      lits.add(text.substring(p, s));
      vs.add(v);
      p = e + 1;
    }
    return new Template(text, lits.toArray(new String[0]), vs.toArray(new Var[0]));
  }

  /** Appends the text with the call's values substituted. */
  public void appendTo(StringBuilder sb, CallInfo call) {
    for (int i = 0; i < vars.length; i++) {
      sb.append(literals[i]);
      sb.append(switch (vars[i]) {
        case USER -> call.calledUser();
        case CALLED -> call.calledNumber();
        case CALLER -> call.callerUser();
      });
    }
    sb.append(literals[vars.length]);
  }

  public String render(CallInfo call) {
    StringBuilder sb = new StringBuilder(text.length() + 16);
    appendTo(sb, call);
    return sb.toString();
  }

  /** The template as written. */
  @Override
  public String toString() {
    return text;
  }
}
