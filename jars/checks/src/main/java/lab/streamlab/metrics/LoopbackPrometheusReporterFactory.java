package lab.streamlab.metrics;

import java.util.Properties;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/** metrics.reporter.prom.factory.class: Flink's Prometheus reporter on 127.0.0.1 (port: 0 = any free port). */
public final class LoopbackPrometheusReporterFactory implements MetricReporterFactory {

    @Override
    public MetricReporter createMetricReporter(Properties properties) {
        // a number in config.yaml reaches here as an Integer, which Properties.getProperty does not return
        Object port = properties.get("port");
        return new LoopbackPrometheusReporter(port == null ? 0 : Integer.parseInt(port.toString().trim()));
    }
}
