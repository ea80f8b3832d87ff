import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Java kafka-clients end to end against kop-native, run by tests/e2e/test_java_clients.py.
 *
 * <p>Usage: E2eClient BOOTSTRAP SCENARIO TOPIC [COMPRESSION]. Scenarios:
 * <ul>
 *   <li>{@code plain TOPIC COMPRESSION}: a non-idempotent producer (acks=all) sends 50 records with
 *       keys, headers and explicit timestamps and checks offsets 0..49; an assign-mode consumer
 *       reads them back from the beginning and from offset 25 and checks begin/end offsets.
 *   <li>{@code idempotent TOPIC}: the default (idempotent) producer sends 20 records; offsets
 *       0..19; read back.
 *   <li>{@code admin TOPIC}: AdminClient createTopics (3 partitions, replication factor 1), describeTopics
 *       shows 3, listTopics has it, a second createTopics fails with TopicExistsException,
 *       createPartitions to 5, describeTopics shows 5, deleteTopics, listTopics no longer has it.
 *       (describeCluster is not called: DescribeCluster is not served.)
 * </ul>
 * Prints "OK ..." and exits 0, or prints "FAIL stage: exception chain" and exits 1.
 */
public final class E2eClient {
    static final long BASE_TS = 1_700_000_000_000L;
    static final Duration POLL = Duration.ofMillis(200);
    static final long DEADLINE_MS = 60_000;

    static String stage = "start";

    public static void main(String[] args) {
        String bootstrap = args[0];
        String scenario = args[1];
        String topic = args[2];
        try {
            if (scenario.equals("plain")) {
                plain(bootstrap, topic, args[3]);
            } else if (scenario.equals("idempotent")) {
                idempotent(bootstrap, topic);
            } else if (scenario.equals("admin")) {
                admin(bootstrap, topic);
            } else {
                throw new IllegalArgumentException("unknown scenario " + scenario);
            }
            System.out.println("OK " + scenario + " " + topic);
            System.exit(0);
        } catch (Throwable t) {
            StringBuilder sb = new StringBuilder("FAIL " + stage + ": ");
            for (Throwable c = t; c != null; c = c.getCause()) {
                if (c != t) sb.append(" <- caused by ");
                sb.append(c.getClass().getName()).append(": ").append(c.getMessage());
                if (c.getCause() == c) break;
            }
            System.out.println(sb.toString().replace('\n', ' '));
            System.exit(1);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String key(int i) {
        return "key-" + i;
    }

    static String value(String tag, int i) {
        StringBuilder sb = new StringBuilder("value-" + i + "-" + tag + "-");
        for (int j = 0; j < i; j++) sb.append("abcabc");
        return sb.toString();
    }

    static ProducerRecord<byte[], byte[]> record(String topic, String tag, int i) {
        ProducerRecord<byte[], byte[]> r =
                new ProducerRecord<>(topic, 0, BASE_TS + i * 1000L, bytes(key(i)), bytes(value(tag, i)));
        r.headers().add("index", bytes(Integer.toString(i)));
        r.headers().add("trace", bytes("abc"));
        return r;
    }

    static Properties producerProps(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
        return p;
    }

    static void produce(Properties props, String topic, String tag, int n) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            List<Future<RecordMetadata>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) futures.add(producer.send(record(topic, tag, i)));
            producer.flush();
            for (int i = 0; i < n; i++) {
                RecordMetadata md = futures.get(i).get();
                check(md.topic().equals(topic) && md.partition() == 0, "record " + i + " went to " + md);
                check(md.offset() == i, "record " + i + " got offset " + md.offset());
                check(md.timestamp() == BASE_TS + i * 1000L, "record " + i + " timestamp " + md.timestamp());
            }
        }
    }

    static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
        return new KafkaConsumer<>(p);
    }

    static List<ConsumerRecord<byte[], byte[]>> pollUntil(KafkaConsumer<byte[], byte[]> c, int count) {
        List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
        long end = System.currentTimeMillis() + DEADLINE_MS;
        while (got.size() < count && System.currentTimeMillis() < end) {
            for (ConsumerRecord<byte[], byte[]> r : c.poll(POLL)) got.add(r);
        }
        check(got.size() == count, "polled " + got.size() + " records, expected " + count);
        return got;
    }

    static void checkRecords(List<ConsumerRecord<byte[], byte[]>> got, String tag, int first, int n) {
        check(got.size() == n - first, "got " + got.size() + " records, expected " + (n - first));
        for (int j = 0; j < got.size(); j++) {
            int i = first + j;
            ConsumerRecord<byte[], byte[]> r = got.get(j);
            check(r.offset() == i, "record " + j + " has offset " + r.offset() + ", expected " + i);
            check(r.partition() == 0, "offset " + i + " from partition " + r.partition());
            check(Arrays.equals(r.key(), bytes(key(i))), "offset " + i + " key " + str(r.key()));
            check(Arrays.equals(r.value(), bytes(value(tag, i))), "offset " + i + " value " + str(r.value()));
            check(r.timestamp() == BASE_TS + i * 1000L, "offset " + i + " timestamp " + r.timestamp());
            check(r.timestampType() == TimestampType.CREATE_TIME, "offset " + i + " " + r.timestampType());
            Header[] hs = r.headers().toArray();
            check(hs.length == 2
                            && hs[0].key().equals("index") && Arrays.equals(hs[0].value(), bytes(Integer.toString(i)))
                            && hs[1].key().equals("trace") && Arrays.equals(hs[1].value(), bytes("abc")),
                    "offset " + i + " headers " + Arrays.toString(hs));
        }
    }

    static void consumeBack(String bootstrap, String topic, String tag, int n, boolean seekAndOffsets) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap)) {
            stage = "assign+seekToBeginning";
            c.assign(Collections.singletonList(tp));
            c.seekToBeginning(Collections.singletonList(tp));
            checkRecords(pollUntil(c, n), tag, 0, n);
            if (!seekAndOffsets) return;
            stage = "seek(25)";
            c.seek(tp, n / 2);
            checkRecords(pollUntil(c, n - n / 2), tag, n / 2, n);
            stage = "endOffsets";
            Map<TopicPartition, Long> endOffsets = c.endOffsets(Collections.singletonList(tp));
            check(endOffsets.get(tp) == n, "endOffsets " + endOffsets);
            stage = "beginningOffsets";
            Map<TopicPartition, Long> begin = c.beginningOffsets(Collections.singletonList(tp));
            check(begin.get(tp) == 0L, "beginningOffsets " + begin);
        }
    }

    static void plain(String bootstrap, String topic, String compression) throws Exception {
        Properties p = producerProps(bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        stage = "produce (" + compression + ")";
        produce(p, topic, compression, 50);
        consumeBack(bootstrap, topic, compression, 50, true);
    }

    static void idempotent(String bootstrap, String topic) throws Exception {
        stage = "produce (default idempotent producer)";
        produce(producerProps(bootstrap), topic, "idem", 20);
        consumeBack(bootstrap, topic, "idem", 20, false);
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    static String str(byte[] b) {
        return b == null ? "null" : new String(b, StandardCharsets.UTF_8);
    }

    static final long ADMIN_WAIT_S = 60;

    static void admin(String bootstrap, String topic) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
        try (Admin a = Admin.create(p)) {
            stage = "createTopics " + topic + " (3 partitions)";
            a.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(ADMIN_WAIT_S, TimeUnit.SECONDS);
            stage = "describeTopics after createTopics";
            expectPartitions(a, topic, 3);
            stage = "listTopics after createTopics";
            expectListed(a, topic, true);
            stage = "createTopics again";
            try {
                a.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(ADMIN_WAIT_S, TimeUnit.SECONDS);
                throw new AssertionError("creating an existing topic succeeded");
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            stage = "createPartitions to 5";
            a.createPartitions(Map.of(topic, NewPartitions.increaseTo(5))).all().get(ADMIN_WAIT_S, TimeUnit.SECONDS);
            stage = "describeTopics after createPartitions";
            expectPartitions(a, topic, 5);
            stage = "deleteTopics";
            a.deleteTopics(List.of(topic)).all().get(ADMIN_WAIT_S, TimeUnit.SECONDS);
            stage = "listTopics after deleteTopics";
            expectListed(a, topic, false);
        }
    }

    // describeTopics (Metadata, or DescribeTopicPartitions if advertised) until it shows n partitions 0..n-1.
    static void expectPartitions(Admin a, String topic, int n) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        int seen;
        while (true) {
            Map<String, TopicDescription> d = a.describeTopics(List.of(topic)).allTopicNames()
                    .get(ADMIN_WAIT_S, TimeUnit.SECONDS);
            TopicDescription td = d.get(topic);
            seen = td == null ? -1 : td.partitions().size();
            if (seen == n) {
                for (int i = 0; i < n; i++) {
                    if (td.partitions().get(i).partition() != i) {
                        throw new AssertionError("partition " + i + " is " + td.partitions().get(i).partition());
                    }
                }
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("describeTopics shows " + seen + " partitions, expected " + n);
            }
            Thread.sleep(500);
        }
    }

    static void expectListed(Admin a, String topic, boolean listed) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            Set<String> names = a.listTopics().names().get(ADMIN_WAIT_S, TimeUnit.SECONDS);
            if (names.contains(topic) == listed) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("listTopics " + (listed ? "lacks " : "still has ") + topic + ": " + names);
            }
            Thread.sleep(500);
        }
    }
}
