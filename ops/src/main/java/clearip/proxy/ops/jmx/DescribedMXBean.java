package clearip.proxy.ops.jmx;

import java.lang.reflect.Method;
import java.util.Arrays;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.StandardMBean;

/**
 * An MXBean whose bean, attributes, operations and parameters carry the {@link Description}s of
 * its interface: without them a console shows each operation's parameters as {@code p0, p1} and
 * nothing about what an attribute or operation does.
 */
final class DescribedMXBean<T> extends StandardMBean {
  private final Class<T> type;

  DescribedMXBean(T bean, Class<T> type) {
    super(bean, type, true);
    this.type = type;
  }

  @Override
  protected String getDescription(MBeanInfo info) {
    Description d = type.getAnnotation(Description.class);
    return d != null ? d.value() : super.getDescription(info);
  }

  @Override
  protected String getDescription(MBeanAttributeInfo info) {
    Method m = method((info.isIs() ? "is" : "get") + info.getName(), 0);
    Description d = m == null ? null : m.getAnnotation(Description.class);
    return d != null ? d.value() : super.getDescription(info);
  }

  @Override
  protected String getDescription(MBeanOperationInfo info) {
    Method m = method(info.getName(), info.getSignature().length);
    Description d = m == null ? null : m.getAnnotation(Description.class);
    return d != null ? d.value() : super.getDescription(info);
  }

  @Override
  protected String getParameterName(MBeanOperationInfo op, MBeanParameterInfo param, int seq) {
    Description d = parameter(op, seq);
    return d != null && !d.name().isEmpty() ? d.name() : super.getParameterName(op, param, seq);
  }

  @Override
  protected String getDescription(MBeanOperationInfo op, MBeanParameterInfo param, int seq) {
    Description d = parameter(op, seq);
    return d != null ? d.value() : super.getDescription(op, param, seq);
  }

  private Description parameter(MBeanOperationInfo op, int seq) {
    Method m = method(op.getName(), op.getSignature().length);
    return m == null ? null : m.getParameters()[seq].getAnnotation(Description.class);
  }

  /** The interface's method of that name and arity (operations are not overloaded here). */
  private Method method(String name, int arity) {
    return Arrays.stream(type.getMethods())
        .filter(m -> m.getName().equals(name) && m.getParameterCount() == arity)
        .findFirst().orElse(null);
  }
}
