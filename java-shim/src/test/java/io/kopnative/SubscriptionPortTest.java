package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The subscription mirror's port (LogPort::CommitSubscription / DeleteSubscription) through the
 * real libkopnative.so: the bridge's test entry point {@link NativeBridge#nativeDebugSubscription}
 * makes the call as the core would, the bridge upcalls the handler, a fake {@link PartitionLog}
 * answers, and the completion (sent back as a [4][error code] frame) arrives on the event loop.
 */
class SubscriptionPortTest extends NativeTestBase {
    record Call(String op, String topic, int partition, String name, long offset, CompletableFuture<Short> f) {
    }

    static final class FakeSubscriptions implements PartitionLog {
        final List<Call> calls = new ArrayList<>();

        @Override
        public CompletableFuture<AppendResult> append(String topic, int partition, ByteBuf entry, int numRecords) {
            entry.release();
            return CompletableFuture.completedFuture(AppendResult.error((short) -1));
        }

        @Override
        public CompletableFuture<Short> commitSubscription(String topic, int partition, String name, long offset) {
            Call c = new Call("commit", topic, partition, name, offset, new CompletableFuture<>());
            calls.add(c);
            return c.f();
        }

        @Override
        public CompletableFuture<Short> deleteSubscription(String topic, int partition, String name) {
            Call c = new Call("delete", topic, partition, name, -1, new CompletableFuture<>());
            calls.add(c);
            return c.f();
        }
    }

    FakeSubscriptions log;

    @Override
    KafkaChannelInitializer initializer(KopConfig config, NativeBroker broker) {
        log = new FakeSubscriptions();
        return new KafkaChannelInitializer(broker, config.listeners().get(0), config, new TopicPortTest.FakeTopics(),
                log);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The error code of the next completion frame, or null if none was sent. */
    static Short completion(EmbeddedChannel ch) {
        ByteBuf b = nextResponse(ch);
        if (b == null) {
            return null;
        }
        try {
            assertEquals(8, b.readableBytes());
            assertEquals(4, b.readInt());
            assertEquals(0, b.readShort());
            return b.readShort();
        } finally {
            b.release();
        }
    }

    @Test
    void commitIsAnsweredAfterTheCompletion() {
        EmbeddedChannel ch = connect();
        long conn = PostAndTickTest.handleOf(ch);
        assertEquals(NativeBridge.OK, NativeBridge.nativeDebugSubscription(conn, KafkaFrameHandler.SUBSCRIPTION_COMMIT,
                utf8("persistent://public/default/orders"), 2, utf8("group-ü"), 42));
        assertNull(completion(ch), "answered before the commit completed");
        assertEquals(1, log.calls.size());
        Call c = log.calls.get(0);
        assertEquals(new Call("commit", "persistent://public/default/orders", 2, "group-ü", 42, c.f()), c);
        c.f().complete((short) 0);
        assertEquals((short) 0, completion(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void deleteAndErrorCodesPassThrough() {
        EmbeddedChannel ch = connect();
        long conn = PostAndTickTest.handleOf(ch);
        assertEquals(NativeBridge.OK, NativeBridge.nativeDebugSubscription(conn, KafkaFrameHandler.SUBSCRIPTION_DELETE,
                utf8("orders"), 0, utf8("g"), -1));
        assertEquals(NativeBridge.OK, NativeBridge.nativeDebugSubscription(conn, KafkaFrameHandler.SUBSCRIPTION_COMMIT,
                utf8("orders"), 1, utf8("g"), 7));
        assertEquals(List.of("delete", "commit"), log.calls.stream().map(Call::op).toList());
        log.calls.get(1).f().complete((short) 6);
        assertEquals((short) 6, completion(ch));
        log.calls.get(0).f().completeExceptionally(new IllegalStateException("boom"));
        assertEquals((short) -1, completion(ch), "a failed call is UNKNOWN_SERVER_ERROR");
        ch.finishAndReleaseAll();
    }

    @Test
    void namesThatAreNotUtf8ArriveAsNull() {
        EmbeddedChannel ch = connect();
        long conn = PostAndTickTest.handleOf(ch);
        assertEquals(NativeBridge.OK, NativeBridge.nativeDebugSubscription(conn, KafkaFrameHandler.SUBSCRIPTION_COMMIT,
                new byte[] {(byte) 0xff}, 0, new byte[] {(byte) 0xc3}, 1));
        assertNull(log.calls.get(0).topic());
        assertNull(log.calls.get(0).name());
        log.calls.get(0).f().complete((short) 3);
        assertEquals((short) 3, completion(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void completionAfterCloseIsDropped() {
        EmbeddedChannel ch = connect();
        long conn = PostAndTickTest.handleOf(ch);
        assertEquals(NativeBridge.OK, NativeBridge.nativeDebugSubscription(conn, KafkaFrameHandler.SUBSCRIPTION_COMMIT,
                utf8("t"), 0, utf8("g"), 1));
        ch.close();
        log.calls.get(0).f().complete((short) 0);
        assertNull(completion(ch));
        assertEquals(NativeBridge.ERR_BAD_HANDLE, NativeBridge.nativeOnSubscriptionDone(conn, 1, (short) 0));
        assertEquals(NativeBridge.ERR_BAD_HANDLE, NativeBridge.nativeOnSubscriptionDone(0, 1, (short) 0));
        ch.finishAndReleaseAll();
    }

    @Test
    void unknownRequestIdsAreIgnored() {
        EmbeddedChannel ch = connect();
        long conn = PostAndTickTest.handleOf(ch);
        assertEquals(NativeBridge.OK, NativeBridge.nativeOnSubscriptionDone(conn, 123456789L, (short) 0));
        assertNull(completion(ch));
        assertTrue(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void theMirrorCanBeTurnedOff() {
        broker.close();
        config = KopConfig.from(KopConfigTest.conf("kafkaGroupSubscriptionMirror", "false"));
        broker = NativeBroker.create(config.toNativeKeysAndValues());
        initializer = initializer(config, broker);
        EmbeddedChannel ch = connect();
        long conn = PostAndTickTest.handleOf(ch);
        assertEquals(NativeBridge.ERR_BAD_ARGUMENT, NativeBridge.nativeDebugSubscription(conn,
                KafkaFrameHandler.SUBSCRIPTION_COMMIT, utf8("t"), 0, utf8("g"), 1));
        assertTrue(log.calls.isEmpty());
        ch.finishAndReleaseAll();
    }

    @Test
    void pulsarReservedNamesAreNotMirrored() {
        assertTrue(SubscriptionMirror.isValidName("my-group"));
        assertTrue(SubscriptionMirror.isValidName("pulsar"));
        assertFalse(SubscriptionMirror.isValidName(null));
        assertFalse(SubscriptionMirror.isValidName(""));
        assertFalse(SubscriptionMirror.isValidName("__compaction"));
        assertFalse(SubscriptionMirror.isValidName("pulsar.dedup"));
        assertFalse(SubscriptionMirror.isValidName("pulsar.repl.other-cluster"));
    }
}
