// The ceiling for `streamlab bench`: a plain consume-check-produce relay, no engine.
// It does what the passthrough workload does with the same rules: each event is checked with the one
// parse Flink's source makes (RecordCheck from jars/checks, given behavior-stats's rules, streamlab/fields.py),
// add_to_cart and purchase are kept, the projected record is written. The same Kafka client library as
// the engines, one consumer per thread over its share of the partitions and one shared producer
// (acks=all, as the engines write). Run in Java's source-file mode, so it needs no build step of its own:
//   java -cp <jars/kafka/lib/*>:<streamlab-checks.jar> benchmarks/relay/Relay.java BOOTSTRAP INPUT OUTPUT THREADS RULES MAX_CHARS
// It reads INPUT from its first offset to the end offsets present at start, then prints one JSON line:
//   {"read": N, "written": M, "seconds": S}   (S from the first poll to the last acknowledged record)
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import lab.streamlab.checks.RecordCheck;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class Relay {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> KEPT = Set.of("add_to_cart", "purchase");
    static final String[] FIELDS = {"user_id", "item_id", "category", "behavior", "ts"};
    static RecordCheck check;
    static int[] columns; // where each of FIELDS sits among the rules' values

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], input = args[1], output = args[2];
        int threads = Integer.parseInt(args[3]);
        check = RecordCheck.of(args[4], Integer.parseInt(args[5]));
        List<String> ruled = check.rules().stream().map(rule -> rule.field).toList();
        columns = java.util.Arrays.stream(FIELDS).mapToInt(ruled::indexOf).toArray();
        Properties producing = new Properties();
        producing.put("bootstrap.servers", bootstrap);
        producing.put("acks", "all");
        producing.put("linger.ms", "5");
        producing.put("key.serializer", ByteArraySerializer.class.getName());
        producing.put("value.serializer", ByteArraySerializer.class.getName());
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producing);
        List<TopicPartition> partitions = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> probe = consumer(bootstrap)) {
            for (PartitionInfo info : probe.partitionsFor(input)) {
                partitions.add(new TopicPartition(input, info.partition()));
            }
        }
        AtomicLong read = new AtomicLong(), written = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        long started = System.nanoTime();
        for (int index = 0; index < threads; index++) {
            List<TopicPartition> share = new ArrayList<>();
            for (int p = index; p < partitions.size(); p += threads) {
                share.add(partitions.get(p));
            }
            Thread worker = new Thread(() -> relay(bootstrap, share, output, producer, read, written));
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        producer.flush();
        double seconds = (System.nanoTime() - started) / 1e9;
        producer.close();
        System.out.printf("{\"read\": %d, \"written\": %d, \"seconds\": %.3f}%n", read.get(), written.get(), seconds);
    }

    static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        Properties consuming = new Properties();
        consuming.put("bootstrap.servers", bootstrap);
        consuming.put("key.deserializer", ByteArrayDeserializer.class.getName());
        consuming.put("value.deserializer", ByteArrayDeserializer.class.getName());
        consuming.put("enable.auto.commit", "false");
        consuming.put("max.poll.records", "5000");
        return new KafkaConsumer<>(consuming);
    }

    static void relay(String bootstrap, List<TopicPartition> share, String output,
                      KafkaProducer<byte[], byte[]> producer, AtomicLong read, AtomicLong written) {
        if (share.isEmpty()) {
            return;
        }
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
            consumer.assign(share);
            consumer.seekToBeginning(share);
            Map<TopicPartition, Long> ends = consumer.endOffsets(share);
            while (share.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    read.incrementAndGet();
                    byte[] projected = project(record);
                    if (projected != null) {
                        producer.send(new ProducerRecord<>(output, record.key(), projected));
                        written.incrementAndGet();
                    }
                }
            }
        }
    }

    // the passthrough workload's rule: a valid event (behavior-stats's checks), its behavior kept
    static byte[] project(ConsumerRecord<byte[], byte[]> record) {
        RecordCheck.Verdict verdict = check.check(record.value());
        String behavior = (String) verdict.values[columns[3]];
        if (verdict.reason != null || !KEPT.contains(behavior)) {
            return null;
        }
        ObjectNode out = JSON.createObjectNode();
        for (int index = 0; index < FIELDS.length; index++) {
            out.put(FIELDS[index], (String) verdict.values[columns[index]]);
        }
        out.put("source_partition", record.partition());
        out.put("source_offset", record.offset());
        try {
            return JSON.writeValueAsBytes(out);
        } catch (java.io.IOException unwritable) {
            throw new java.io.UncheckedIOException(unwritable);
        }
    }
}
