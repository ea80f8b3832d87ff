package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The JNI boundary without a broker: the real libkopnative.so behind the real pipeline on an
 * EmbeddedChannel. Works with any core: a frame is either answered (same correlation id) or the
 * connection is closed; either way every ByteBuf is released.
 */
class NativeBridgeTest extends NativeTestBase {
    @Override
    KopConfig configure() {
        return KopConfig.from(KopConfigTest.conf("kafkaMaxFrameSize", "4096"));
    }

    static ByteBuf apiVersionsV0(ByteBuf out, int correlationId) {
        byte[] clientId = "unit".getBytes(StandardCharsets.UTF_8);
        out.writeInt(2 + 2 + 4 + 2 + clientId.length);
        out.writeShort(18).writeShort(0).writeInt(correlationId).writeShort(clientId.length).writeBytes(clientId);
        return out;
    }

    /** Sends one frame; returns the response frame (length prefix included) or null if closed. */
    ByteBuf exchange(EmbeddedChannel ch, ByteBuf request) {
        ch.writeInbound(request);
        ch.runPendingTasks();
        assertEquals(0, request.refCnt(), "request frame not released");
        ByteBuf response = null;
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            if (b.isReadable() && response == null) {
                response = b;
            } else {
                b.release();
            }
        }
        if (response == null) {
            assertFalse(ch.isOpen(), "neither answered nor closed");
        }
        return response;
    }

    void checkAnswer(ByteBuf response, int correlationId) {
        if (response != null) {
            try {
                assertEquals(response.readableBytes() - 4, response.getInt(0), "length prefix");
                assertEquals(correlationId, response.getInt(4), "correlation id");
            } finally {
                response.release();
            }
        }
    }

    @Test
    void directFrameIsAnsweredOrClosed() {
        EmbeddedChannel ch = connect();
        ByteBuf req = apiVersionsV0(PooledByteBufAllocator.DEFAULT.directBuffer(), 42);
        checkAnswer(exchange(ch, req), 42);
        assertFalse(ch.finishAndReleaseAll() && ch.isOpen());
    }

    @Test
    void heapFrameIsCopiedToDirectMemory() {
        EmbeddedChannel ch = connect();
        ByteBuf req = apiVersionsV0(Unpooled.buffer(), 7);
        checkAnswer(exchange(ch, req), 7);
        ch.finishAndReleaseAll();
    }

    @Test
    void frameSplitAcrossReadsIsReassembled() {
        EmbeddedChannel ch = connect();
        ByteBuf whole = apiVersionsV0(Unpooled.buffer(), 9);
        ByteBuf first = whole.readRetainedSlice(3);
        ByteBuf rest = whole.readRetainedSlice(whole.readableBytes());
        whole.release();
        ch.writeInbound(first);
        assertTrue(ch.isOpen(), "closed on a partial length prefix");
        assertNull(ch.readOutbound());
        checkAnswer(exchange(ch, rest), 9);
        ch.finishAndReleaseAll();
    }

    @Test
    void oversizedLengthPrefixClosesWithoutAllocating() {
        EmbeddedChannel ch = connect();
        ByteBuf req = Unpooled.directBuffer().writeInt(0x80000000).writeZero(16);
        ch.writeInbound(req);
        ch.runPendingTasks();
        assertEquals(0, req.refCnt());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void frameJustOverTheLimitCloses() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(Unpooled.buffer().writeInt(config.maxFrameSize() + 1).writeZero(8));
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void connectionsOutliveTheBrokerHandle() {
        EmbeddedChannel a = connect();
        EmbeddedChannel b = connect();
        broker.close(); // the shim's reference goes; open connections keep the core alive
        checkAnswer(exchange(a, apiVersionsV0(Unpooled.directBuffer(), 1)), 1);
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
        // New connections after close are refused (closed at once), never a dangling handle.
        EmbeddedChannel c = connect();
        assertFalse(c.isOpen());
        c.finishAndReleaseAll();
    }

    @Test
    void manyConnectionsOpenAndClose() {
        for (int i = 0; i < 200; i++) {
            EmbeddedChannel ch = connect();
            checkAnswer(exchange(ch, apiVersionsV0(Unpooled.directBuffer(), i)), i);
            ch.finishAndReleaseAll();
        }
        assertNotEquals(0, NativeBridge.nativeVersion().length());
    }
}
