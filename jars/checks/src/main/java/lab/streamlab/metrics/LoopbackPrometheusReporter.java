package lab.streamlab.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.apache.flink.metrics.prometheus.AbstractPrometheusReporter;

/**
 * Flink's own Prometheus reporter (flink-metrics-prometheus: every metric of the job in Prometheus text), served
 * on loopback. Flink's PrometheusReporter binds its HTTP server to every interface and has no host option, while
 * the lab listens on 127.0.0.1 only (tests/integration/test_listeners.py). So this subclass of Flink's
 * AbstractPrometheusReporter serves the same registry from a server bound to the loopback address. Port 0 picks a
 * free port: each `streamlab run` process has its own mini-cluster, and two may run at once. The chosen URL is
 * left in the system property streamlab.prometheus.url, where the lab reads it through the py4j gateway.
 */
public final class LoopbackPrometheusReporter extends AbstractPrometheusReporter {

    static final String URL_PROPERTY = "streamlab.prometheus.url";

    private final HTTPServer server;

    LoopbackPrometheusReporter(int port) {
        try {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            server = new HTTPServer(address, registry(), true);
        } catch (IOException error) {
            throw new UncheckedIOException("could not serve Prometheus metrics on 127.0.0.1:" + port, error);
        }
        System.setProperty(URL_PROPERTY, "http://127.0.0.1:" + server.getPort() + "/metrics");
    }

    /** The registry Flink's reporter fills; package-private there, so read once here by reflection. */
    private CollectorRegistry registry() {
        try {
            Field field = AbstractPrometheusReporter.class.getDeclaredField("registry");
            field.setAccessible(true);
            return (CollectorRegistry) field.get(this);
        } catch (ReflectiveOperationException error) {
            throw new IllegalStateException("flink-metrics-prometheus changed: no registry field", error);
        }
    }

    @Override
    public void close() {
        server.stop();
        System.clearProperty(URL_PROPERTY);
        super.close();
    }
}
