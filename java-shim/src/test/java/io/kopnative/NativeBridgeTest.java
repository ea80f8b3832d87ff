package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.File;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JNI boundary without a broker: the real libkopnative.so behind the real pipeline on an
 * EmbeddedChannel. Works with any core: a frame is either answered (same correlation id) or the
 * connection is closed; either way every ByteBuf is released.
 */
class NativeBridgeTest {
    static final String LIBRARY = System.getProperty("kop.native.test.library", "");

    KopConfig config;
    NativeBroker broker;
    KafkaChannelInitializer initializer;

    @BeforeAll
    static void loadLibrary() {
        assumeTrue(new File(LIBRARY).isFile(), "no " + LIBRARY + ": build it with cmake first");
        System.setProperty(NativeBridge.LIBRARY_PATH_PROPERTY, LIBRARY);
        NativeBridge.load();
    }

    @BeforeEach
    void createBroker() {
        config = KopConfig.from(KopConfigTest.conf("kafkaMaxFrameSize", "4096"));
        broker = NativeBroker.create(config.toNativeKeysAndValues());
        initializer = new KafkaChannelInitializer(broker, config.listeners().get(0), config);
    }

    @AfterEach
    void destroyBroker() {
        broker.close();
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
        EmbeddedChannel ch = new EmbeddedChannel(initializer.connectionHandlers());
        ByteBuf req = apiVersionsV0(PooledByteBufAllocator.DEFAULT.directBuffer(), 42);
        checkAnswer(exchange(ch, req), 42);
        assertFalse(ch.finishAndReleaseAll() && ch.isOpen());
    }

    @Test
    void heapFrameIsCopiedToDirectMemory() {
        EmbeddedChannel ch = new EmbeddedChannel(initializer.connectionHandlers());
        ByteBuf req = apiVersionsV0(Unpooled.buffer(), 7);
        checkAnswer(exchange(ch, req), 7);
        ch.finishAndReleaseAll();
    }

    @Test
    void frameSplitAcrossReadsIsReassembled() {
        EmbeddedChannel ch = new EmbeddedChannel(initializer.connectionHandlers());
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
        EmbeddedChannel ch = new EmbeddedChannel(initializer.connectionHandlers());
        ByteBuf req = Unpooled.directBuffer().writeInt(0x80000000).writeZero(16);
        ch.writeInbound(req);
        ch.runPendingTasks();
        assertEquals(0, req.refCnt());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void frameJustOverTheLimitCloses() {
        EmbeddedChannel ch = new EmbeddedChannel(initializer.connectionHandlers());
        ch.writeInbound(Unpooled.buffer().writeInt(config.maxFrameSize() + 1).writeZero(8));
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void connectionsOutliveTheBrokerHandle() {
        EmbeddedChannel a = new EmbeddedChannel(initializer.connectionHandlers());
        EmbeddedChannel b = new EmbeddedChannel(initializer.connectionHandlers());
        broker.close(); // the shim's reference goes; open connections keep the core alive
        checkAnswer(exchange(a, apiVersionsV0(Unpooled.directBuffer(), 1)), 1);
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
        // New connections after close are refused (closed at once), never a dangling handle.
        EmbeddedChannel c = new EmbeddedChannel(initializer.connectionHandlers());
        assertFalse(c.isOpen());
        c.finishAndReleaseAll();
    }

    @Test
    void manyConnectionsOpenAndClose() {
        for (int i = 0; i < 200; i++) {
            EmbeddedChannel ch = new EmbeddedChannel(initializer.connectionHandlers());
            checkAnswer(exchange(ch, apiVersionsV0(Unpooled.directBuffer(), i)), i);
            ch.finishAndReleaseAll();
        }
        assertNotEquals(0, NativeBridge.nativeVersion().length());
    }
}
