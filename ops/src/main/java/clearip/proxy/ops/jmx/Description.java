package clearip.proxy.ops.jmx;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What jconsole, VisualVM and other JMX consoles show for a bean, an attribute (on its getter),
 * an operation, or an operation's parameter ({@link #name} then gives its name instead of the
 * {@code p0} a compiled interface would show).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.PARAMETER})
public @interface Description {
  String value();

  /** For a parameter: its name. */
  String name() default "";
}
