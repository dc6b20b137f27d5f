package lab.streamlab.metrics;

import java.util.Properties;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/** metrics.reporter.prom.factory.class: Flink's Prometheus reporter on 127.0.0.1 (port: 0 = any free port). */
public final class LoopbackPrometheusReporterFactory implements MetricReporterFactory {

    @Override
    public MetricReporter createMetricReporter(Properties properties) {
        return new LoopbackPrometheusReporter(Integer.parseInt(properties.getProperty("port", "0")));
    }
}
