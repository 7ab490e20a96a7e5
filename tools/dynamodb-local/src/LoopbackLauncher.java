import java.lang.reflect.Field;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts AWS's DynamoDB Local bound to 127.0.0.1 only.
 *
 * DynamoDB Local has no bind-address option and listens on every interface.
 * This launcher builds the server exactly as the jar's own main does, then sets
 * the Jetty connector's host to the loopback address before starting it.
 *
 * It also exits when its standard input closes: the Go process that starts it
 * holds the other end of that pipe, so the JVM never outlives its parent, even
 * when the parent is killed.
 */
public final class LoopbackLauncher {
    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server jetty = (Server) field.get(proxy);
        int bound = 0;
        for (Connector c : jetty.getConnectors()) {
            if (c instanceof ServerConnector) {
                ((ServerConnector) c).setHost("127.0.0.1");
                bound++;
            }
        }
        if (bound == 0) {
            System.err.println("LoopbackLauncher: no Jetty connector found; refusing to listen on all interfaces");
            System.exit(3);
        }
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // discard
                }
            } catch (Exception ignored) {
                // parent gone
            }
            Runtime.getRuntime().halt(0);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        proxy.start();
        System.out.println("LoopbackLauncher: listening on 127.0.0.1");
        System.out.flush();
        proxy.join();
    }
}
