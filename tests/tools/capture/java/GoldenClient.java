// Golden-frame capture client for Java kafka-clients (3.9.x and 4.x).
// Compiled by tests/tools/capture/capture-all against the kafka-clients jar
// resolved with Maven; drives one scenario per run through the recording proxy.
//
//   java GoldenClient create-topics BOOTSTRAP PARTITIONS TOPIC...
//   java GoldenClient produce       BOOTSTRAP CLIENT_ID TOPIC CODEC RECORDS_JSON_OUT
//   java GoldenClient consume-assign BOOTSTRAP CLIENT_ID EXPECTED_PER_TOPIC TOPIC...
//   java GoldenClient consume-group BOOTSTRAP CLIENT_ID GROUP EXPECTED_TOTAL TOPIC...
//   java GoldenClient admin         BOOTSTRAP CLIENT_ID NEW_TOPIC
//
// Records are the shared deterministic set described in
// tests/fixtures/frames/README.md (20 records, keys/values/headers/timestamps).

import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class GoldenClient {
    static final int N = 20;
    static final long BASE_TS = 1700000000000L;

    // --- the shared deterministic record set --------------------------------
    static String key(int i) { return i == 7 ? null : String.format("key-%02d", i); }

    static String value(int i) {
        if (i == 13) return null;
        StringBuilder sb = new StringBuilder(String.format("value-%02d", i));
        for (int r = 0; r < 4; r++) sb.append(" the quick brown fox jumps over the lazy dog");
        return sb.toString();
    }

    static List<String[]> headers(int i) {
        List<String[]> h = new ArrayList<>();
        if (i % 3 >= 1) h.add(new String[] {"h1", String.format("v%02d", i)});
        if (i % 3 == 2) h.add(new String[] {"h2", ""});
        if (i == 5) h.add(new String[] {"nullh", null});
        return h;
    }

    static long timestamp(int i) { return BASE_TS + i * 1000L; }

    static int batchOf(int i) { return i < 15 ? 0 : 1; }

    static byte[] bytes(String s) { return s == null ? null : s.getBytes(StandardCharsets.UTF_8); }

    static String json(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    static String clientVersion() throws Exception {
        Properties v = new Properties();
        try (java.io.InputStream in = KafkaProducer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            if (in != null) v.load(in);
        }
        return v.getProperty("version", "unknown");
    }

    static Properties base(String bootstrap, String clientId) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        if (clientId != null) p.put("client.id", clientId);
        return p;
    }

    public static void main(String[] a) throws Exception {
        switch (a[0]) {
            case "create-topics": createTopics(a); break;
            case "produce": produce(a); break;
            case "consume-assign": consumeAssign(a); break;
            case "consume-group": consumeGroup(a); break;
            case "admin": admin(a); break;
            default: throw new IllegalArgumentException(a[0]);
        }
    }

    static void createTopics(String[] a) throws Exception {
        int parts = Integer.parseInt(a[2]);
        List<NewTopic> ts = new ArrayList<>();
        for (int i = 3; i < a.length; i++) ts.add(new NewTopic(a[i], parts, (short) 1));
        try (Admin admin = Admin.create(base(a[1], "golden-setup"))) {
            admin.createTopics(ts).all().get();
        }
    }

    static void produce(String[] a) throws Exception {
        String bootstrap = a[1], clientId = a[2], topic = a[3], codec = a[4], out = a[5];
        Properties p = base(bootstrap, clientId);
        p.put("compression.type", codec);
        p.put("linger.ms", "5000");
        p.put("batch.size", "1048576");
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        StringBuilder js = new StringBuilder();
        js.append("{\n  \"client\": ").append(json("java kafka-clients " + clientVersion()))
          .append(",\n  \"codec\": ").append(json(codec))
          .append(",\n  \"idempotent\": true")
          .append(",\n  \"note\": \"records in send order; batch = which flush() they were sent before (one RecordBatch per flush)\"")
          .append(",\n  \"records\": [\n");
        try (KafkaProducer<byte[], byte[]> prod = new KafkaProducer<>(p)) {
            for (int i = 0; i < N; i++) {
                List<Header> hs = new ArrayList<>();
                for (String[] h : headers(i)) hs.add(new RecordHeader(h[0], bytes(h[1])));
                prod.send(new ProducerRecord<>(topic, 0, timestamp(i), bytes(key(i)), bytes(value(i)), hs));
                StringBuilder hj = new StringBuilder("[");
                for (String[] h : headers(i)) {
                    if (hj.length() > 1) hj.append(", ");
                    hj.append("[").append(json(h[0])).append(", ").append(json(h[1])).append("]");
                }
                hj.append("]");
                js.append("    {\"topic\": ").append(json(topic)).append(", \"partition\": 0, \"batch\": ").append(batchOf(i))
                  .append(", \"key\": ").append(json(key(i))).append(", \"value\": ").append(json(value(i)))
                  .append(", \"headers\": ").append(hj).append(", \"timestamp\": ").append(timestamp(i)).append("}")
                  .append(i + 1 < N ? ",\n" : "\n");
                if (i + 1 < N && batchOf(i + 1) != batchOf(i)) prod.flush();
            }
            prod.flush();
        }
        js.append("  ]\n}\n");
        try (Writer w = new OutputStreamWriter(new FileOutputStream(out), StandardCharsets.UTF_8)) {
            w.write(js.toString());
        }
    }

    static Properties consumerProps(String bootstrap, String clientId) {
        Properties p = base(bootstrap, clientId);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("auto.offset.reset", "earliest");
        p.put("fetch.max.wait.ms", "200");
        return p;
    }

    static void consumeAssign(String[] a) throws Exception {
        String bootstrap = a[1], clientId = a[2];
        int expectedPerTopic = Integer.parseInt(a[3]);
        List<TopicPartition> tps = new ArrayList<>();
        for (int i = 4; i < a.length; i++) tps.add(new TopicPartition(a[i], 0));
        Properties p = consumerProps(bootstrap, clientId);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            c.assign(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            Map<TopicPartition, Long> begin = c.beginningOffsets(tps);
            Map<TopicPartition, Long> q = new HashMap<>();
            for (TopicPartition tp : tps) q.put(tp, timestamp(10));
            Map<TopicPartition, OffsetAndTimestamp> ft = c.offsetsForTimes(q);
            System.err.println("endOffsets=" + end + " beginningOffsets=" + begin + " offsetsForTimes=" + ft);
            // Seek: first partition to the offset found for timestamp(10), the others to the beginning.
            for (TopicPartition tp : tps) {
                OffsetAndTimestamp o = ft.get(tp);
                if (tp.equals(tps.get(0)) && o != null) c.seek(tp, o.offset());
                else c.seek(tp, 0L);
            }
            int got = 0;
            long deadline = System.currentTimeMillis() + 20000;
            Map<TopicPartition, Long> pos = new HashMap<>();
            while (System.currentTimeMillis() < deadline) {
                ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(500));
                got += rs.count();
                boolean done = true;
                for (TopicPartition tp : tps) if (c.position(tp) < end.get(tp)) done = false;
                if (done) break;
            }
            System.err.println("consume-assign: got " + got + " records (expected about " + expectedPerTopic * tps.size() + ")");
        }
    }

    static void consumeGroup(String[] a) throws Exception {
        String bootstrap = a[1], clientId = a[2], group = a[3];
        int expected = Integer.parseInt(a[4]);
        List<String> topics = new ArrayList<>();
        for (int i = 5; i < a.length; i++) topics.add(a[i]);
        Properties p = consumerProps(bootstrap, clientId);
        p.put("group.id", group);
        p.put("enable.auto.commit", "false");
        // -Dgolden.group.protocol=consumer selects the KIP-848 protocol (4.x clients).
        String proto = System.getProperty("golden.group.protocol");
        if (proto != null) p.put("group.protocol", proto);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            c.subscribe(topics);
            int got = 0;
            long deadline = System.currentTimeMillis() + 30000;
            while (got < expected && System.currentTimeMillis() < deadline) {
                ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(500));
                got += rs.count();
                if (rs.count() > 0) c.commitSync();
            }
            c.commitSync();
            System.err.println("consume-group: got " + got + " of " + expected);
            if (got < expected) System.exit(1);
        }
    }

    static void admin(String[] a) throws Exception {
        String bootstrap = a[1], clientId = a[2], topic = a[3];
        try (Admin admin = Admin.create(base(bootstrap, clientId))) {
            DescribeClusterResult dc = admin.describeCluster();
            System.err.println("cluster " + dc.clusterId().get() + " nodes " + dc.nodes().get() + " controller " + dc.controller().get());
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
            System.err.println("topics " + admin.listTopics().names().get());
            admin.describeTopics(List.of(topic)).allTopicNames().get();
            admin.deleteTopics(List.of(topic)).all().get();
        }
    }
}
