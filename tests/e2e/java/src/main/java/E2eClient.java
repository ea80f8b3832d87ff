import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Collection;
import java.util.HashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.ConsumerGroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.GroupSubscribedToTopicException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
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
 * Consumer-group scenarios, run by tests/e2e/test_groups_clients.py:
 * <ul>
 *   <li>{@code produce-keyed TOPIC N PREFIX [PARTITION]}: acks=all producer, keys PREFIX-i, values
 *       value-PREFIX-i (to PARTITION, else by the default partitioner); prints one JSON line
 *       {"event":"produced","records":[[partition,offset,key],...],"errors":[...]}.
 *   <li>{@code group TOPIC GROUP [property=value ...]}: a subscribe() consumer in GROUP (classic
 *       protocol, auto commit off, earliest, session 6000 ms, heartbeat 1000 ms, max.poll.records
 *       20; any consumer property overrides these; x.rate=N throttles to about N records/s,
 *       x.deadline-ms=MS ends the run). Prints JSON lines: "assigned"/"revoked"/"lost" from the
 *       rebalance listener (with the generation and member id of consumer.groupMetadata()),
 *       "records" per poll ([partition,offset,key]), then "committed" (commitSync of what was
 *       consumed), "commit_retry" (refused while the client rejoins: retried after the next poll,
 *       or in onPartitionsRevoked) or "commit_failed". Standard input commands: "close"
 *       (close(): a dynamic member leaves the group, a static one does not), "nocommit" (stop
 *       committing), "fast" (no throttle).
 *   <li>{@code describe-group GROUP}: describeConsumerGroups and listConsumerGroupOffsets (one
 *       topic) as one JSON line.
 *   <li>{@code group-admin TOPIC GROUP}: the AdminClient's group API end to end (list with and
 *       without a state filter, describe, list/alter/delete offsets, delete groups, the errors
 *       of a non-empty and of a deleted group), checked here.
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
            } else if (scenario.equals("produce-keyed")) {
                produceKeyed(bootstrap, topic, Integer.parseInt(args[3]), args[4],
                        args.length > 5 ? Integer.parseInt(args[5]) : -1);
            } else if (scenario.equals("group")) {
                groupMember(bootstrap, topic, args[3], Arrays.copyOfRange(args, 4, args.length));
            } else if (scenario.equals("describe-group")) {
                describeGroup(bootstrap, topic);
            } else if (scenario.equals("group-admin")) {
                groupAdmin(bootstrap, topic, args[3]);
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
            // Record i has timestamp BASE_TS + i s: the first at or after BASE_TS + 10.5 s is 11.
            stage = "offsetsForTimes";
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndTimestamp> at =
                    c.offsetsForTimes(Collections.singletonMap(tp, BASE_TS + 10_500L));
            check(at.get(tp) != null && at.get(tp).offset() == 11L
                    && at.get(tp).timestamp() == BASE_TS + 11_000L, "offsetsForTimes(10.5 s) " + at);
            at = c.offsetsForTimes(Collections.singletonMap(tp, BASE_TS));
            check(at.get(tp) != null && at.get(tp).offset() == 0L, "offsetsForTimes(first) " + at);
            at = c.offsetsForTimes(Collections.singletonMap(tp, BASE_TS + n * 1000L));
            check(at.get(tp) == null, "offsetsForTimes(past the last record) " + at);
            stage = "seek(offsetsForTimes)";
            c.seek(tp, 11);
            checkRecords(pollUntil(c, n - 11), tag, 11, n);
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

    // ---- Consumer groups (tests/e2e/test_groups_clients.py) ----

    static synchronized void emit(String json) {
        System.out.println(json);
        System.out.flush();
    }

    static String q(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
            else if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
            else sb.append(ch);
        }
        return sb.append('"').toString();
    }

    static String partitionList(Collection<TopicPartition> tps) {
        TreeSet<Integer> ps = new TreeSet<>();
        for (TopicPartition tp : tps) ps.add(tp.partition());
        return ps.toString().replace(" ", "");
    }

    static void produceKeyed(String bootstrap, String topic, int n, String prefix, int partition) throws Exception {
        Properties p = producerProps(bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        stage = "produce " + n + " keyed records";
        StringBuilder recs = new StringBuilder();
        List<String> errors = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            List<Future<RecordMetadata>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String k = prefix + "-" + i;
                futures.add(producer.send(partition >= 0
                        ? new ProducerRecord<>(topic, partition, bytes(k), bytes("value-" + k))
                        : new ProducerRecord<>(topic, bytes(k), bytes("value-" + k))));
            }
            producer.flush();
            for (int i = 0; i < n; i++) {
                try {
                    RecordMetadata md = futures.get(i).get();
                    if (recs.length() > 0) recs.append(',');
                    recs.append('[').append(md.partition()).append(',').append(md.offset()).append(',')
                            .append(q(prefix + "-" + i)).append(']');
                } catch (ExecutionException e) {
                    if (errors.size() < 10) errors.add(q(e.getCause().toString()));
                }
            }
        }
        emit("{\"event\":\"produced\",\"records\":[" + recs + "],\"errors\":[" + String.join(",", errors) + "]}");
        check(errors.isEmpty(), "produce errors " + errors);
    }

    static volatile boolean closeRequested;
    static volatile boolean noCommit;
    static volatile double rate;

    static void groupMember(String bootstrap, String topic, String group, String[] opts) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put("group.protocol", "classic");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "20000");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "20");
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
        long deadlineMs = 170_000;
        for (String opt : opts) {
            int eq = opt.indexOf('=');
            String k = opt.substring(0, eq), v = opt.substring(eq + 1);
            if (k.equals("x.rate")) rate = Double.parseDouble(v);
            else if (k.equals("x.deadline-ms")) deadlineMs = Long.parseLong(v);
            else p.put(k, v);
        }
        Thread stdin = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    line = line.trim();
                    if (line.equals("close")) closeRequested = true;
                    else if (line.equals("nocommit")) noCommit = true;
                    else if (line.equals("fast")) rate = 0;
                    emit("{\"event\":\"command\",\"command\":" + q(line) + "}");
                }
            } catch (Exception e) {
                // stdin closed
            }
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();
        stage = "group member in " + group;
        long end = System.currentTimeMillis() + deadlineMs;
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p);
        // Offsets consumed but not committed yet: a commitSync refused by the client while it
        // rejoins (RebalanceInProgressException; cooperative rebalances go on while poll returns
        // records) is retried after the next poll, or in onPartitionsRevoked at the latest.
        Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
        c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            void report(String event, Collection<TopicPartition> tps) {
                emit("{\"event\":" + q(event) + ",\"partitions\":" + partitionList(tps) + ",\"assignment\":"
                        + partitionList(c.assignment()) + ",\"generation\":" + c.groupMetadata().generationId()
                        + ",\"member\":" + q(c.groupMetadata().memberId()) + "}");
            }

            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> tps) {
                report("revoked", tps);
                Map<TopicPartition, OffsetAndMetadata> mine = new HashMap<>();
                for (TopicPartition tp : tps) {
                    OffsetAndMetadata o = pending.remove(tp);
                    if (o != null) mine.put(tp, o);
                }
                if (!mine.isEmpty() && !noCommit) commit(c, mine, false);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> tps) {
                report("assigned", tps);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> tps) {
                report("lost", tps);
                for (TopicPartition tp : tps) pending.remove(tp);
            }
        });
        emit("{\"event\":\"started\",\"client\":\"java\",\"version\":" + q(clientVersion()) + "}");
        while (!closeRequested && System.currentTimeMillis() < end) {
            ConsumerRecords<byte[], byte[]> recs = c.poll(POLL);
            if (recs.isEmpty()) {
                if (!pending.isEmpty() && !noCommit && commit(c, pending, true)) pending.clear();
                continue;
            }
            StringBuilder sb = new StringBuilder();
            for (ConsumerRecord<byte[], byte[]> r : recs) {
                if (sb.length() > 0) sb.append(',');
                sb.append('[').append(r.partition()).append(',').append(r.offset()).append(',').append(q(str(r.key())))
                        .append(']');
                pending.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            }
            emit("{\"event\":\"records\",\"records\":[" + sb + "]}");
            if (!noCommit && commit(c, pending, true)) pending.clear();
            double r = rate;
            if (r > 0) Thread.sleep((long) (recs.count() * 1000 / r));
        }
        stage = "close";
        if (!pending.isEmpty() && !noCommit) commit(c, pending, false);
        c.close();
        emit("{\"event\":\"closed\"}");
    }

    // commitSync; prints "committed", "commit_retry" (the client is rejoining: kept for later when
    // retry is true) or "commit_failed". -> whether the offsets are done with.
    static boolean commit(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, OffsetAndMetadata> offsets,
                          boolean retry) {
        StringBuilder offs = new StringBuilder();
        for (Map.Entry<Integer, Long> e : new TreeMap<>(toPartitionMap(offsets)).entrySet()) {
            if (offs.length() > 0) offs.append(',');
            offs.append(q(Integer.toString(e.getKey()))).append(':').append(e.getValue());
        }
        try {
            c.commitSync(offsets);
            emit("{\"event\":\"committed\",\"offsets\":{" + offs + "},\"generation\":"
                    + c.groupMetadata().generationId() + "}");
            return true;
        } catch (RebalanceInProgressException e) {
            emit("{\"event\":\"" + (retry ? "commit_retry" : "commit_failed") + "\",\"offsets\":{" + offs
                    + "},\"error\":" + q(e.toString()) + "}");
            return !retry;
        } catch (Exception e) {
            emit("{\"event\":\"commit_failed\",\"offsets\":{" + offs + "},\"error\":" + q(e.toString()) + "}");
            return true;
        }
    }

    // kafka-clients' version, from kafka/kafka-version.properties in its jar (AppInfoParser moved
    // between 3.x and 4.x).
    static String clientVersion() {
        try (java.io.InputStream in = KafkaConsumer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (Exception e) {
            return "unknown";
        }
    }

    static Map<Integer, Long> toPartitionMap(Map<TopicPartition, OffsetAndMetadata> m) {
        Map<Integer, Long> out = new HashMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : m.entrySet()) {
            out.put(e.getKey().partition(), e.getValue().offset());
        }
        return out;
    }

    static Admin newAdmin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
        return Admin.create(p);
    }

    @SuppressWarnings("deprecation")
    static void describeGroup(String bootstrap, String group) throws Exception {
        try (Admin a = newAdmin(bootstrap)) {
            stage = "describeConsumerGroups " + group;
            ConsumerGroupDescription d = a.describeConsumerGroups(List.of(group)).all()
                    .get(ADMIN_WAIT_S, TimeUnit.SECONDS).get(group);
            StringBuilder ms = new StringBuilder();
            for (MemberDescription m : d.members()) {
                if (ms.length() > 0) ms.append(',');
                ms.append("{\"id\":").append(q(m.consumerId())).append(",\"instance\":")
                        .append(q(m.groupInstanceId().orElse(null))).append(",\"client\":").append(q(m.clientId()))
                        .append(",\"host\":").append(q(m.host())).append(",\"partitions\":")
                        .append(partitionList(m.assignment().topicPartitions())).append('}');
            }
            stage = "listConsumerGroupOffsets " + group;
            StringBuilder os = new StringBuilder();
            for (Map.Entry<Integer, Long> e : groupOffsets(a, group).entrySet()) {
                if (os.length() > 0) os.append(',');
                os.append(q(Integer.toString(e.getKey()))).append(':').append(e.getValue());
            }
            emit("{\"event\":\"group\",\"state\":" + q(d.state().name()) + ",\"assignor\":"
                    + q(d.partitionAssignor()) + ",\"simple\":" + d.isSimpleConsumerGroup() + ",\"members\":[" + ms
                    + "],\"offsets\":{" + os + "}}");
        }
    }

    static KafkaConsumer<byte[], byte[]> groupConsumer(String bootstrap, String group, String clientId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put("group.protocol", "classic");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "60000");
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
        return new KafkaConsumer<>(p);
    }

    static Map<Integer, Long> groupOffsets(Admin a, String group) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> m = a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(ADMIN_WAIT_S, TimeUnit.SECONDS);
        Map<Integer, Long> out = new TreeMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : m.entrySet()) {
            out.put(e.getKey().partition(), e.getValue() == null ? null : e.getValue().offset());
        }
        return out;
    }

    @SuppressWarnings("deprecation")
    static Map<String, ConsumerGroupListing> listGroups(Admin a, ConsumerGroupState... states) throws Exception {
        ListConsumerGroupsOptions o = new ListConsumerGroupsOptions();
        if (states.length > 0) o.inStates(Set.of(states));
        Map<String, ConsumerGroupListing> out = new TreeMap<>();
        for (ConsumerGroupListing l : a.listConsumerGroups(o).all().get(ADMIN_WAIT_S, TimeUnit.SECONDS)) {
            out.put(l.groupId(), l);
        }
        return out;
    }

    @SuppressWarnings("deprecation")
    static ConsumerGroupDescription describe(Admin a, String group) throws Exception {
        return a.describeConsumerGroups(List.of(group)).all().get(ADMIN_WAIT_S, TimeUnit.SECONDS).get(group);
    }

    static <T extends Throwable> void expectFailure(Class<T> expected, Future<?> f, String what) throws Exception {
        try {
            Object v = f.get(ADMIN_WAIT_S, TimeUnit.SECONDS);
            expect(false, what + ": succeeded (" + v + "), expected " + expected.getSimpleName());
        } catch (ExecutionException e) {
            expect(expected.isInstance(e.getCause()),
                    what + ": failed with " + e.getCause() + ", expected " + expected.getSimpleName());
        }
    }

    // Failed expectations of group-admin: each is recorded with its stage and the scenario goes on,
    // so one run reports every problem; the run fails at the end if there is any.
    static final List<String> failures = new ArrayList<>();

    static void expect(boolean ok, String what) {
        if (!ok) failures.add("[" + stage + "] " + what);
    }

    @SuppressWarnings("deprecation")
    static void groupAdmin(String bootstrap, String topic, String group) throws Exception {
        boolean v4 = !clientVersion().startsWith("3.");
        try (Admin a = newAdmin(bootstrap)) {
            stage = "createTopics " + topic + " (3 partitions)";
            a.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(ADMIN_WAIT_S, TimeUnit.SECONDS);
            stage = "produce 20 records to each partition";
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
                List<Future<RecordMetadata>> fs = new ArrayList<>();
                for (int part = 0; part < 3; part++) {
                    for (int i = 0; i < 20; i++) {
                        byte[] k = bytes("k" + part + "-" + i);
                        fs.add(producer.send(new ProducerRecord<>(topic, part, k, bytes("v"))));
                    }
                }
                for (Future<RecordMetadata> f : fs) f.get();
            }
            Set<TopicPartition> all = Set.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
                    new TopicPartition(topic, 2));
            TopicPartition p0 = new TopicPartition(topic, 0), p1 = new TopicPartition(topic, 1);
            KafkaConsumer<byte[], byte[]> member = groupConsumer(bootstrap, group, "admin-member");
            try {
                stage = "subscribe, consume the 60 records and commitSync";
                member.subscribe(List.of(topic));
                List<ConsumerRecord<byte[], byte[]>> got = pollUntil(member, 60);
                member.commitSync();
                expect(member.assignment().equals(all), "the only member owns " + member.assignment());

                stage = "listConsumerGroups while a member is active";
                ConsumerGroupListing l = listGroups(a).get(group);
                expect(l != null, "the group is not listed: " + listGroups(a).keySet());
                expect(!l.isSimpleConsumerGroup(), "listed as a simple group: " + l);
                expect(l.state().equals(Optional.of(ConsumerGroupState.STABLE)), "listed state " + l.state());
                stage = "listConsumerGroups inStates(STABLE)";
                expect(listGroups(a, ConsumerGroupState.STABLE).containsKey(group), "not listed as Stable");
                stage = "listConsumerGroups inStates(EMPTY)";
                expect(!listGroups(a, ConsumerGroupState.EMPTY).containsKey(group), "listed as Empty while active");

                stage = "describeConsumerGroups while a member is active";
                ConsumerGroupDescription d = describe(a, group);
                expect(d.state() == ConsumerGroupState.STABLE, "state " + d.state());
                expect(!d.isSimpleConsumerGroup(), "described as a simple group");
                expect(d.partitionAssignor().equals("range"), "assignor " + q(d.partitionAssignor()));
                expect(d.members().size() == 1, "members " + d.members());
                MemberDescription md = d.members().iterator().next();
                expect(md.clientId().equals("admin-member"), "member client id " + md.clientId());
                expect(md.consumerId().equals(member.groupMetadata().memberId()),
                        "member id " + md.consumerId() + ", the consumer has " + member.groupMetadata().memberId());
                expect(md.host().contains("127.0.0.1"), "member host " + md.host());
                expect(md.assignment().topicPartitions().equals(all), "member assignment " + md.assignment());

                stage = "listConsumerGroupOffsets after the commit";
                Map<Integer, Long> offs = groupOffsets(a, group);
                expect(offs.equals(Map.of(0, 20L, 1, 20L, 2, 20L)), "committed offsets " + offs);

                stage = "deleteConsumerGroups while a member is active";
                expectFailure(GroupNotEmptyException.class, a.deleteConsumerGroups(List.of(group)).all(),
                        "DeleteGroups of a group with a member");
                stage = "deleteConsumerGroupOffsets of a subscribed topic while a member is active";
                expectFailure(GroupSubscribedToTopicException.class,
                        a.deleteConsumerGroupOffsets(group, Set.of(p1)).all(),
                        "OffsetDelete of a partition of a topic the group subscribes to");
                expect(groupOffsets(a, group).equals(Map.of(0, 20L, 1, 20L, 2, 20L)),
                        "offsets after the refused deletes " + groupOffsets(a, group));
            } finally {
                stage = "close the member (LeaveGroup)";
                member.close();
            }

            stage = "describeConsumerGroups after the member left";
            ConsumerGroupDescription d = describe(a, group);
            expect(d.state() == ConsumerGroupState.EMPTY, "state " + d.state() + " after LeaveGroup, expected EMPTY");
            expect(d.members().isEmpty(), "members after LeaveGroup " + d.members());
            stage = "listConsumerGroups inStates(EMPTY) after the member left";
            ConsumerGroupListing le = listGroups(a, ConsumerGroupState.EMPTY).get(group);
            expect(le != null && le.state().equals(Optional.of(ConsumerGroupState.EMPTY)), "Empty listing " + le);
            expect(!listGroups(a, ConsumerGroupState.STABLE).containsKey(group), "still listed as Stable");

            stage = "alterConsumerGroupOffsets partition 0 -> 5 on the empty group";
            a.alterConsumerGroupOffsets(group, Map.of(p0, new OffsetAndMetadata(5))).all()
                    .get(ADMIN_WAIT_S, TimeUnit.SECONDS);
            Map<Integer, Long> offs = groupOffsets(a, group);
            expect(offs.equals(Map.of(0, 5L, 1, 20L, 2, 20L)), "offsets after alter " + offs);

            stage = "a new member resumes at the altered offset";
            try (KafkaConsumer<byte[], byte[]> again = groupConsumer(bootstrap, group, "admin-member-2")) {
                again.subscribe(List.of(topic));
                List<ConsumerRecord<byte[], byte[]>> got = pollUntil(again, 15);
                for (int j = 0; j < got.size(); j++) {
                    ConsumerRecord<byte[], byte[]> r = got.get(j);
                    expect(r.partition() == 0 && r.offset() == 5 + j && str(r.key()).equals("k0-" + (5 + j)),
                            "record " + j + " is " + r.partition() + "/" + r.offset() + " " + str(r.key())
                                    + ", expected 0/" + (5 + j));
                }
                long quiet = System.currentTimeMillis() + 1500;
                while (System.currentTimeMillis() < quiet) {
                    ConsumerRecords<byte[], byte[]> more = again.poll(POLL);
                    expect(more.isEmpty(), "records beyond the committed offsets: " + more.count() + " more, first "
                            + (more.isEmpty() ? "" : more.iterator().next().partition() + "/"
                            + more.iterator().next().offset()));
                }
                again.commitSync();
            }
            stage = "listConsumerGroupOffsets after the resume";
            offs = groupOffsets(a, group);
            expect(offs.equals(Map.of(0, 20L, 1, 20L, 2, 20L)), "offsets after the resume " + offs);

            stage = "deleteConsumerGroupOffsets partition 1 on the empty group";
            a.deleteConsumerGroupOffsets(group, Set.of(p1)).all().get(ADMIN_WAIT_S, TimeUnit.SECONDS);
            offs = groupOffsets(a, group);
            expect(offs.equals(Map.of(0, 20L, 2, 20L)), "offsets after deleting partition 1 " + offs);

            stage = "deleteConsumerGroups on the empty group";
            a.deleteConsumerGroups(List.of(group)).all().get(ADMIN_WAIT_S, TimeUnit.SECONDS);
            stage = "listConsumerGroups after deleteConsumerGroups";
            expect(!listGroups(a).containsKey(group), "still listed: " + listGroups(a).get(group));
            stage = "describeConsumerGroups after deleteConsumerGroups";
            if (v4) {
                // DescribeGroups v6 (KIP-1043): an unknown group is GROUP_ID_NOT_FOUND.
                expectFailure(GroupIdNotFoundException.class, a.describeConsumerGroups(List.of(group)).all(),
                        "describeConsumerGroups (DescribeGroups v6) of a deleted group");
            } else {
                ConsumerGroupDescription gone = describe(a, group);
                expect(gone.state() == ConsumerGroupState.DEAD && gone.members().isEmpty(),
                        "a deleted group is described as " + gone.state() + " with " + gone.members().size()
                                + " members, expected DEAD and none (DescribeGroups v5)");
            }
            stage = "listConsumerGroupOffsets after deleteConsumerGroups";
            offs = groupOffsets(a, group);
            expect(offs.isEmpty(), "offsets of a deleted group " + offs);
            stage = "deleteConsumerGroups again";
            expectFailure(GroupIdNotFoundException.class, a.deleteConsumerGroups(List.of(group)).all(),
                    "DeleteGroups of a deleted group");
        }
        if (!failures.isEmpty()) {
            stage = "group-admin (every step ran)";
            throw new AssertionError(failures.size() + " failed expectation(s): " + String.join("; ", failures));
        }
    }
}
