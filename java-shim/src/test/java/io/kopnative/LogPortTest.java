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
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * The LogPort round trip through the real libkopnative.so: a Produce request makes the core call
 * Append, the bridge upcalls the handler, which copies the entry and hands it to a fake
 * {@link PartitionLog}; the completion goes back down from the (embedded) event loop.
 */
class LogPortTest extends NativeTestBase {
    record Append(String topic, int partition, byte[] entry, int numRecords,
                  CompletableFuture<PartitionLog.AppendResult> f) {
    }

    static final class FakeLog implements PartitionLog {
        final List<Append> appends = new ArrayList<>();

        @Override
        public CompletableFuture<AppendResult> append(String topic, int partition, ByteBuf entry, int numRecords) {
            byte[] bytes = new byte[entry.readableBytes()];
            entry.readBytes(bytes);
            assertTrue(entry.release(), "the handler keeps no other reference to the entry");
            Append a = new Append(topic, partition, bytes, numRecords, new CompletableFuture<>());
            appends.add(a);
            return a.f();
        }
    }

    record Result(String topic, int partition, short error, long baseOffset) {
    }

    FakeLog log;

    @Override
    KafkaChannelInitializer initializer(KopConfig config, NativeBroker broker) {
        log = new FakeLog();
        return new KafkaChannelInitializer(broker, config.listeners().get(0), config,
                new TopicPortTest.FakeTopics(), log);
    }

    static void zigzag(ByteBuf b, long v) {
        long n = (v << 1) ^ (v >> 63);
        while ((n & ~0x7FL) != 0) {
            b.writeByte((int) ((n & 0x7F) | 0x80));
            n >>>= 7;
        }
        b.writeByte((int) n);
    }

    /** A magic-2 batch of values (no keys, no headers), uncompressed. */
    static byte[] batch(String... values) {
        ByteBuf records = Unpooled.buffer();
        for (int i = 0; i < values.length; i++) {
            byte[] v = values[i].getBytes(StandardCharsets.UTF_8);
            ByteBuf r = Unpooled.buffer();
            r.writeByte(0);
            zigzag(r, 0);
            zigzag(r, i);
            zigzag(r, -1);
            zigzag(r, v.length);
            r.writeBytes(v);
            zigzag(r, 0);
            zigzag(records, r.readableBytes());
            records.writeBytes(r);
        }
        long now = System.currentTimeMillis();
        ByteBuf afterCrc = Unpooled.buffer();
        afterCrc.writeShort(0).writeInt(values.length - 1).writeLong(now).writeLong(now).writeLong(-1)
                .writeShort(-1).writeInt(-1).writeInt(values.length).writeBytes(records);
        byte[] tail = new byte[afterCrc.readableBytes()];
        afterCrc.readBytes(tail);
        CRC32C crc = new CRC32C();
        crc.update(tail);
        ByteBuf out = Unpooled.buffer();
        out.writeLong(0).writeInt(4 + 1 + 4 + tail.length).writeInt(0).writeByte(2).writeInt((int) crc.getValue())
                .writeBytes(tail);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    /** Produce v3 (header v1), acks=-1, one partition. */
    static ByteBuf produceV3(int correlationId, String topic, int partition, byte[] records) {
        ByteBuf b = Unpooled.directBuffer();
        b.writeInt(0);
        byte[] clientId = "unit".getBytes(StandardCharsets.UTF_8);
        b.writeShort(0).writeShort(3).writeInt(correlationId).writeShort(clientId.length).writeBytes(clientId);
        b.writeShort(-1).writeShort(-1).writeInt(30_000);
        byte[] name = topic.getBytes(StandardCharsets.UTF_8);
        b.writeInt(1).writeShort(name.length).writeBytes(name);
        b.writeInt(1).writeInt(partition).writeInt(records.length).writeBytes(records);
        b.setInt(0, b.readableBytes() - 4);
        return b;
    }

    static List<Result> parseProduceV3(ByteBuf frame, int correlationId) {
        try {
            assertEquals(frame.readableBytes() - 4, frame.readInt());
            assertEquals(correlationId, frame.readInt());
            List<Result> out = new ArrayList<>();
            for (int i = 0, n = frame.readInt(); i < n; i++) {
                String name = TopicPortTest.string(frame);
                for (int j = 0, m = frame.readInt(); j < m; j++) {
                    int partition = frame.readInt();
                    short error = frame.readShort();
                    long base = frame.readLong();
                    frame.readLong(); // log append time
                    out.add(new Result(name, partition, error, base));
                }
            }
            frame.readInt(); // throttle
            assertEquals(0, frame.readableBytes(), "trailing bytes");
            return out;
        } finally {
            frame.release();
        }
    }

    @Test
    void appendIsAnsweredAfterTheCompletion() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(produceV3(3, "orders", 1, batch("a", "b", "c")));
        assertNull(nextResponse(ch), "answered before the append completed");
        assertEquals(1, log.appends.size());
        Append a = log.appends.get(0);
        assertEquals("orders", a.topic());
        assertEquals(1, a.partition());
        assertEquals(3, a.numRecords());
        assertTrue(a.entry().length > 0);
        a.f().complete(new PartitionLog.AppendResult((short) 0, 42, -1));
        ByteBuf response = nextResponse(ch);
        assertNotNull(response, "no response after the append completed");
        assertEquals(List.of(new Result("orders", 1, (short) 0, 42)), parseProduceV3(response, 3));
        ch.finishAndReleaseAll();
    }

    @Test
    void responsesKeepRequestOrderAndErrorsPassThrough() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(produceV3(1, "t", 0, batch("x")));
        ch.writeInbound(produceV3(2, "t", 0, batch("y")));
        assertEquals(2, log.appends.size());
        log.appends.get(1).f().complete(new PartitionLog.AppendResult((short) 0, 1, -1));
        assertNull(nextResponse(ch), "second answered before first");
        log.appends.get(0).f().complete(PartitionLog.AppendResult.error((short) 6));
        assertEquals((short) 6, parseProduceV3(nextResponse(ch), 1).get(0).error());
        assertEquals(1, parseProduceV3(nextResponse(ch), 2).get(0).baseOffset());
        ch.finishAndReleaseAll();
    }

    @Test
    void failedAppendBecomesUnknownServerError() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(produceV3(4, "t", 0, batch("x")));
        log.appends.get(0).f().completeExceptionally(new IllegalStateException("boom"));
        assertEquals((short) -1, parseProduceV3(nextResponse(ch), 4).get(0).error());
        ch.finishAndReleaseAll();
    }

    @Test
    void completionAfterCloseIsDropped() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(produceV3(5, "t", 0, batch("x")));
        ch.close();
        log.appends.get(0).f().complete(new PartitionLog.AppendResult((short) 0, 0, -1));
        assertNull(nextResponse(ch));
        ch.finishAndReleaseAll();
    }
}
