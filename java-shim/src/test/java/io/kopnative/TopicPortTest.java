package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The TopicPort round trip through the real libkopnative.so: a Metadata request makes the core
 * call Lookup/ListAll, the bridge upcalls the handler, a fake {@link TopicSource} answers, the
 * answer goes back down from the (embedded) event loop and the core responds.
 */
class TopicPortTest extends NativeTestBase {
    record Call(List<String> names, boolean autoCreate, CompletableFuture<List<TopicMetadataService.TopicResult>> f) {
    }

    static final class FakeTopics implements TopicSource {
        final List<Call> calls = new ArrayList<>();
        final java.util.Map<String, List<PartitionOwners.Node>> owners = new java.util.HashMap<>();
        List<PartitionOwners.Node> cluster = List.of();
        final List<Integer> offsetsAsked = new ArrayList<>();
        final List<String> offsetsTopicsAsked = new ArrayList<>();
        PartitionOwners.Node offsetsOwner;

        @Override
        public CompletableFuture<List<PartitionOwners.Node>> offsetsOwner(String topic, int partition,
                                                                          String listener) {
            offsetsAsked.add(partition);
            offsetsTopicsAsked.add(topic);
            return CompletableFuture.completedFuture(offsetsOwner == null ? null : List.of(offsetsOwner));
        }

        @Override
        public CompletableFuture<List<PartitionOwners.Node>> clusterNodes(String listener) {
            return CompletableFuture.completedFuture(cluster);
        }

        @Override
        public CompletableFuture<List<PartitionOwners.Node>> owners(String name, int partitions, String listener) {
            return CompletableFuture.completedFuture(owners.get(name));
        }

        @Override
        public CompletableFuture<List<TopicMetadataService.TopicResult>> lookup(List<String> names,
                                                                                boolean autoCreate) {
            Call c = new Call(names, autoCreate, new CompletableFuture<>());
            calls.add(c);
            return c.f();
        }

        @Override
        public CompletableFuture<List<TopicMetadataService.TopicResult>> listAll() {
            Call c = new Call(null, false, new CompletableFuture<>());
            calls.add(c);
            return c.f();
        }
    }

    record Partition(short error, int index, int leader) {
    }

    record Topic(short error, String name, List<Partition> partitions) {
    }

    FakeTopics topics;

    @Override
    KafkaChannelInitializer initializer(KopConfig config, NativeBroker broker) {
        topics = new FakeTopics();
        return new KafkaChannelInitializer(broker, config.listeners().get(0), config, topics);
    }

    static TopicMetadataService.TopicResult result(String name, int partitions, int error) {
        return new TopicMetadataService.TopicResult(name, partitions, (short) error);
    }

    /** Metadata v1 (header v1); topics null asks for all. */
    static ByteBuf metadataV1(int correlationId, List<String> names) {
        ByteBuf b = Unpooled.directBuffer();
        b.writeInt(0); // length, patched below
        byte[] clientId = "unit".getBytes(StandardCharsets.UTF_8);
        b.writeShort(3).writeShort(1).writeInt(correlationId).writeShort(clientId.length).writeBytes(clientId);
        if (names == null) {
            b.writeInt(-1);
        } else {
            b.writeInt(names.size());
            for (String n : names) {
                byte[] bytes = n.getBytes(StandardCharsets.UTF_8);
                b.writeShort(bytes.length).writeBytes(bytes);
            }
        }
        b.setInt(0, b.readableBytes() - 4);
        return b;
    }

    static String string(ByteBuf b) {
        int len = b.readShort();
        if (len < 0) {
            return null;
        }
        byte[] bytes = new byte[len];
        b.readBytes(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Parses a Metadata v1 response frame (length prefix included) and releases it. */
    static List<Topic> parseMetadataV1(ByteBuf frame, int correlationId) {
        try {
            assertEquals(frame.readableBytes() - 4, frame.readInt());
            assertEquals(correlationId, frame.readInt());
            for (int i = 0, n = frame.readInt(); i < n; i++) {
                frame.readInt();
                string(frame);
                frame.readInt();
                string(frame);
            }
            frame.readInt(); // controller
            List<Topic> out = new ArrayList<>();
            for (int i = 0, n = frame.readInt(); i < n; i++) {
                short error = frame.readShort();
                String name = string(frame);
                frame.readBoolean();
                List<Partition> parts = new ArrayList<>();
                for (int j = 0, m = frame.readInt(); j < m; j++) {
                    Partition p = new Partition(frame.readShort(), frame.readInt(), frame.readInt());
                    frame.skipBytes(4 * frame.readInt());
                    frame.skipBytes(4 * frame.readInt());
                    parts.add(p);
                }
                out.add(new Topic(error, name, parts));
            }
            assertEquals(0, frame.readableBytes(), "trailing bytes");
            return out;
        } finally {
            frame.release();
        }
    }

    @Test
    void lookupIsAnsweredAfterTheCompletion() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(metadataV1(5, List.of("orders", "missing")));
        assertNull(nextResponse(ch), "answered before the lookup completed");
        assertEquals(1, topics.calls.size());
        Call call = topics.calls.get(0);
        assertEquals(List.of("orders", "missing"), call.names());
        assertTrue(call.autoCreate(), "Metadata v1 always auto-creates");
        call.f().complete(List.of(result("orders", 3, 0), result("missing", 0, 3)));
        ByteBuf response = nextResponse(ch);
        assertNotNull(response, "no response after the lookup completed");
        List<Topic> t = parseMetadataV1(response, 5);
        assertEquals(2, t.size());
        assertEquals("orders", t.get(0).name());
        assertEquals(0, t.get(0).error());
        assertEquals(List.of(0, 1, 2), t.get(0).partitions().stream().map(Partition::index).toList());
        assertEquals("missing", t.get(1).name());
        assertEquals(3, t.get(1).error());
        assertTrue(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void listAllAnswersEveryTopic() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(metadataV1(6, null));
        assertEquals(1, topics.calls.size());
        assertNull(topics.calls.get(0).names());
        topics.calls.get(0).f().complete(List.of(result("a", 2, 0), result("b", 0, 0)));
        List<Topic> t = parseMetadataV1(nextResponse(ch), 6);
        assertEquals(List.of("a", "b"), t.stream().map(Topic::name).toList());
        assertEquals(2, t.get(0).partitions().size());
        assertEquals(1, t.get(1).partitions().size(), "non-partitioned is served as one partition");
        ch.finishAndReleaseAll();
    }

    @Test
    void responsesKeepRequestOrderWhenCompletionsDoNot() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(metadataV1(1, List.of("first")));
        ch.writeInbound(metadataV1(2, List.of("second")));
        assertEquals(2, topics.calls.size());
        topics.calls.get(1).f().complete(List.of(result("second", 1, 0)));
        assertNull(nextResponse(ch), "second answered before first");
        topics.calls.get(0).f().complete(List.of(result("first", 1, 0)));
        assertEquals("first", parseMetadataV1(nextResponse(ch), 1).get(0).name());
        assertEquals("second", parseMetadataV1(nextResponse(ch), 2).get(0).name());
        ch.finishAndReleaseAll();
    }

    @Test
    void malformedAnswerBecomesUnknownServerError() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(metadataV1(3, List.of("x", "y")));
        topics.calls.get(0).f().complete(List.of(result("x", 1, 0))); // one answer for two names
        List<Topic> t = parseMetadataV1(nextResponse(ch), 3);
        assertEquals(List.of("x", "y"), t.stream().map(Topic::name).toList());
        assertEquals(List.of((short) -1, (short) -1), t.stream().map(Topic::error).toList());
        ch.finishAndReleaseAll();
    }

    @Test
    void failedLookupBecomesUnknownServerError() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(metadataV1(4, List.of("x")));
        topics.calls.get(0).f().completeExceptionally(new IllegalStateException("boom"));
        List<Topic> t = parseMetadataV1(nextResponse(ch), 4);
        assertEquals(-1, t.get(0).error());
        ch.finishAndReleaseAll();
    }

    @Test
    void completionAfterCloseIsDropped() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(metadataV1(8, List.of("late")));
        assertEquals(1, topics.calls.size());
        ch.close();
        topics.calls.get(0).f().complete(List.of(result("late", 1, 0)));
        assertNull(nextResponse(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void partitionOwnersReachTheMetadataAnswer() {
        EmbeddedChannel ch = connect();
        List<PartitionOwners.Node> spread = new ArrayList<>();
        spread.add(PartitionOwners.Node.LOCAL);
        spread.add(new PartitionOwners.Node(11, "b.example", 9093));
        spread.add(null);
        topics.owners.put("spread", spread);
        ch.writeInbound(metadataV1(9, List.of("spread", "here")));
        topics.calls.get(0).f().complete(List.of(result("spread", 3, 0), result("here", 2, 0)));
        ch.runPendingTasks();
        List<Topic> answer = parseMetadataV1(nextResponse(ch), 9);
        assertEquals(2, answer.size());
        List<Partition> parts = answer.get(0).partitions();
        assertEquals(3, parts.size());
        int self = parts.get(0).leader();
        assertTrue(self >= 0 && self != 11);
        assertEquals(0, parts.get(0).error());
        assertEquals(11, parts.get(1).leader());
        assertEquals(5, parts.get(2).error()); // LEADER_NOT_AVAILABLE
        assertEquals(-1, parts.get(2).leader());
        // No owners reported: this broker leads.
        assertEquals(self, answer.get(1).partitions().get(0).leader());
        assertEquals(self, answer.get(1).partitions().get(1).leader());
        ch.finishAndReleaseAll();
    }

    /** The (node id, host:port) pairs of a Metadata v1 response's broker list; the frame is not released. */
    static List<String> brokersV1(ByteBuf frame) {
        ByteBuf b = frame.duplicate();
        b.skipBytes(8); // length, correlation id
        List<String> out = new ArrayList<>();
        for (int i = 0, n = b.readInt(); i < n; i++) {
            int id = b.readInt();
            String host = string(b);
            int port = b.readInt();
            string(b); // rack
            out.add(id + "@" + host + ":" + port);
        }
        return out;
    }

    @Test
    void metadataListsEveryBrokerOfTheCluster() {
        // librdkafka disconnects from brokers a Metadata response leaves out: all are listed, even
        // for a request that names no topic and with every partition here.
        EmbeddedChannel ch = connect();
        topics.cluster = List.of(new PartitionOwners.Node(11, "b.example", 9093),
                new PartitionOwners.Node(13, "c.example", 9094));
        ch.writeInbound(metadataV1(3, List.of()));
        assertEquals(List.of(), topics.calls.get(0).names(), "asked, so the broker list is current");
        topics.calls.get(0).f().complete(List.of());
        ch.runPendingTasks();
        ByteBuf frame = nextResponse(ch);
        List<String> brokers = brokersV1(frame);
        assertEquals(3, brokers.size(), brokers.toString());
        assertEquals(List.of("11@b.example:9093", "13@c.example:9094"), brokers.subList(1, 3));
        assertEquals(List.of(), parseMetadataV1(frame, 3));
        // The cluster shrinks: the next answer lists only what is left.
        topics.cluster = List.of(new PartitionOwners.Node(13, "c.example", 9094));
        ch.writeInbound(metadataV1(4, List.of("here")));
        topics.calls.get(1).f().complete(List.of(result("here", 1, 0)));
        ch.runPendingTasks();
        frame = nextResponse(ch);
        brokers = brokersV1(frame);
        assertEquals(2, brokers.size(), brokers.toString());
        assertEquals("13@c.example:9094", brokers.get(1));
        assertEquals(1, parseMetadataV1(frame, 4).size());
        ch.finishAndReleaseAll();
    }

    /** FindCoordinator v1 (header v1) for group {@code group}. */
    static ByteBuf findCoordinatorV1(int correlationId, String group) {
        ByteBuf b = Unpooled.directBuffer();
        b.writeInt(0); // length, patched below
        byte[] clientId = "unit".getBytes(StandardCharsets.UTF_8);
        b.writeShort(10).writeShort(1).writeInt(correlationId).writeShort(clientId.length).writeBytes(clientId);
        byte[] key = group.getBytes(StandardCharsets.UTF_8);
        b.writeShort(key.length).writeBytes(key).writeByte(0); // key, key_type 0 (group)
        b.setInt(0, b.readableBytes() - 4);
        return b;
    }

    @Test
    void findCoordinatorAsksForTheOffsetsPartitionOwnerByNumber() {
        // The owner of the group's __consumer_offsets partition is its own port call (by partition
        // number, never a topic name), and the answer names that broker.
        EmbeddedChannel ch = connect();
        topics.offsetsOwner = new PartitionOwners.Node(11, "b.example", 9093);
        ch.writeInbound(findCoordinatorV1(5, "g0"));
        ch.runPendingTasks();
        // Kafka's GroupMetadataManager.partitionFor: abs(hashCode) mod the partition count.
        assertEquals(List.of(Math.abs("g0".hashCode()) % config.offsetsTopicNumPartitions()), topics.offsetsAsked);
        // A connection without a SASL tenant uses kafkaMetadataTenant's topic.
        assertEquals(List.of(config.offsetsTopic().toString()), topics.offsetsTopicsAsked);
        assertTrue(topics.calls.isEmpty(), "no topic lookup: " + topics.calls);
        ByteBuf frame = nextResponse(ch);
        try {
            assertEquals(frame.readableBytes() - 4, frame.readInt());
            assertEquals(5, frame.readInt());
            frame.readInt(); // throttle_time_ms
            assertEquals(0, frame.readShort(), "error_code");
            string(frame); // error_message
            assertEquals(11, frame.readInt());
            assertEquals("b.example", string(frame));
            assertEquals(9093, frame.readInt());
        } finally {
            frame.release();
        }
        ch.finishAndReleaseAll();
    }

    @Test
    void invalidOrOversizedNodeTablesAreRefused() {
        // The bridge bounds what it takes from Java: a node with an impossible port, an empty host,
        // or more than 10,000 nodes fails the answer (UNKNOWN_SERVER_ERROR), and the connection
        // keeps working.
        List<List<PartitionOwners.Node>> bad = new ArrayList<>();
        bad.add(List.of(new PartitionOwners.Node(11, "b.example", 70000)));
        bad.add(List.of(new PartitionOwners.Node(11, "", 9093)));
        bad.add(List.of(new PartitionOwners.Node(11, "h".repeat(256), 9093))); // over 255 characters
        List<PartitionOwners.Node> many = new ArrayList<>();
        for (int i = 0; i < 10_001; i++) {
            many.add(new PartitionOwners.Node(i, "n" + i, 9092));
        }
        bad.add(many);
        EmbeddedChannel ch = connect();
        int call = 0;
        for (List<PartitionOwners.Node> nodes : bad) {
            topics.cluster = nodes;
            ch.writeInbound(metadataV1(10 + call, List.of("x")));
            topics.calls.get(call).f().complete(List.of(result("x", 1, 0)));
            ch.runPendingTasks();
            List<Topic> t = parseMetadataV1(nextResponse(ch), 10 + call);
            assertEquals((short) -1, t.get(0).error(), "cluster of " + nodes.size() + " nodes");
            call++;
        }
        topics.cluster = List.of(new PartitionOwners.Node(11, "b.example", 9093));
        ch.writeInbound(metadataV1(20, List.of("x")));
        topics.calls.get(call).f().complete(List.of(result("x", 1, 0)));
        ch.runPendingTasks();
        ByteBuf frame = nextResponse(ch);
        assertEquals(2, brokersV1(frame).size());
        assertEquals((short) 0, parseMetadataV1(frame, 20).get(0).error());
        ch.finishAndReleaseAll();
    }

    @Test
    void partitionCountsPastTheBoundAreRefused() {
        // More than 100,000 partitions in one topic fails the answer; the bound itself passes.
        EmbeddedChannel ch = connect();
        ch.writeInbound(metadataV1(30, List.of("huge")));
        topics.calls.get(0).f().complete(List.of(result("huge", 100_001, 0)));
        ch.runPendingTasks();
        assertEquals((short) -1, parseMetadataV1(nextResponse(ch), 30).get(0).error());
        ch.writeInbound(metadataV1(31, List.of("big")));
        topics.calls.get(1).f().complete(List.of(result("big", 100_000, 0)));
        ch.runPendingTasks();
        Topic big = parseMetadataV1(nextResponse(ch), 31).get(0);
        assertEquals((short) 0, big.error());
        assertEquals(100_000, big.partitions().size());
        ch.finishAndReleaseAll();
    }

    @Test
    void downcallsForUnknownHandlesAreHarmless() {
        String[] names = {"a"};
        int[] partitions = {1};
        short[] errors = {0};
        assertEquals(NativeBridge.ERR_BAD_HANDLE,
                NativeBridge.nativeOnTopicsResolved(0, 1, names, partitions, errors, null, null, null, null));
        assertEquals(NativeBridge.ERR_BAD_HANDLE,
                NativeBridge.nativeOnTopicsResolved(0x1000, 1, names, partitions, errors, null, null, null, null));
        assertEquals(NativeBridge.ERR_BAD_HANDLE, NativeBridge.nativeOnAppended(0, 1, (short) 0, 0, -1, null, 0));
        assertEquals(NativeBridge.ERR_BAD_HANDLE, NativeBridge.nativeOnAppended(0x1000, 1, (short) 0, 0, -1, null, 0));
    }
}
