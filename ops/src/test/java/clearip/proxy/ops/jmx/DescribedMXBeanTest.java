package clearip.proxy.ops.jmx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.List;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DescribedMXBeanTest {
  /** A bean of that interface that answers nothing in particular: only its info is read. */
  @SuppressWarnings("unchecked")
  static <T> T inert(Class<T> type) {
    return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
        (p, m, a) -> m.getReturnType() == boolean.class ? false
            : m.getReturnType().isPrimitive() ? 0 : null);
  }

  static <T> MBeanInfo infoOf(Class<T> type) throws Exception {
    MBeanServer mbs = MBeanServerFactory.newMBeanServer();
    ObjectName name = new ObjectName("test:type=" + type.getSimpleName());
    mbs.registerMBean(new DescribedMXBean<>(inert(type), type), name);
    return mbs.getMBeanInfo(name);
  }

  @ParameterizedTest
  @ValueSource(classes = {ProxyMXBean.class, UpstreamMXBean.class, ListenerMXBean.class})
  void everyAttributeOperationAndParameterIsDescribedAndNamed(Class<?> type) throws Exception {
    MBeanInfo info = infoOf(type);
    assertEquals(type.getAnnotation(Description.class).value(), info.getDescription());
    for (MBeanAttributeInfo a : info.getAttributes()) {
      Description d = (a.isIs() ? type.getMethod("is" + a.getName())
          : type.getMethod("get" + a.getName())).getAnnotation(Description.class);
      assertNotNull(d, type.getSimpleName() + "." + a.getName() + " has no description");
      assertEquals(d.value(), a.getDescription());
    }
    for (MBeanOperationInfo o : info.getOperations()) {
      assertFalse(o.getDescription().isBlank(), o.getName());
      assertFalse(o.getDescription().equals("Operation exposed for management"), o.getName());
      for (MBeanParameterInfo p : o.getSignature()) {
        assertFalse(p.getName().matches("p\\d+"), o.getName() + " has a parameter " + p.getName());
        assertFalse(p.getDescription().isBlank(), o.getName() + "(" + p.getName() + ")");
      }
    }
  }

  @org.junit.jupiter.api.Test
  void theProxysOperationsShowTheirParameterNames() throws Exception {
    MBeanInfo info = infoOf(ProxyMXBean.class);
    List<String> shown = java.util.Arrays.stream(info.getOperations())
        .filter(o -> o.getSignature().length > 0)
        .map(o -> o.getName() + "(" + o.getSignature()[0].getName() + ")").sorted().toList();
    assertEquals(List.of("setAccessAllow(cidrs)", "setEmergencyNumbers(numbers)",
        "setUpstreamTransport(transport)", "setUpstreamUri(uri)", "startTrace(seconds)"), shown);
    assertTrue(info.getOperations().length >= 6);
  }
}
