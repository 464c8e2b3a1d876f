package dev.durablesql.engine.activity;

import dev.durablesql.engine.step.RoleConnections;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;

/**
 * The {@link Connection} an activity gets from {@code ActivityContext.openConnection()}: the pooled
 * connection of a {@link RoleConnections.StepConnection}, whose {@code close()} gives back both the
 * connection and the step-connection permit. A proxy, because {@link Connection} has too many
 * methods to delegate by hand and only {@code close} and {@code unwrap} differ.
 */
final class RoleConnection {
  private RoleConnection() {}

  static Connection of(RoleConnections.StepConnection step) {
    Connection pooled = step.connection();
    return (Connection)
        Proxy.newProxyInstance(
            RoleConnection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, arguments) -> {
              if (method.getName().equals("close") && method.getParameterCount() == 0) {
                step.close();
                return null;
              }
              return invoke(pooled, method, arguments);
            });
  }

  private static Object invoke(Connection pooled, Method method, Object[] arguments)
      throws Throwable {
    try {
      return method.invoke(pooled, arguments);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
