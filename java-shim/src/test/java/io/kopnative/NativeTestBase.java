package io.kopnative;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.File;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every test through the real libkopnative.so shares: the library loaded once (skipped
 * when it was not built), a native broker per test from {@link #configure()}, closed after it,
 * and the pipeline of one connection from {@link #initializer(KopConfig, NativeBroker)}.
 */
abstract class NativeTestBase {
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

    /** The broker.conf of each test's broker. */
    KopConfig configure() {
        return KopConfig.from(KopConfigTest.conf());
    }

    /** The pipeline factory of each test (no topic source and no log by default). */
    KafkaChannelInitializer initializer(KopConfig config, NativeBroker broker) {
        return new KafkaChannelInitializer(broker, config.listeners().get(0), config);
    }

    @BeforeEach
    void createBroker() {
        config = configure();
        broker = NativeBroker.create(config.toNativeKeysAndValues());
        initializer = initializer(config, broker);
    }

    @AfterEach
    void destroyBroker() {
        broker.close();
    }

    /** A new connection through the framing and Kafka handlers. */
    EmbeddedChannel connect() {
        return new EmbeddedChannel(initializer.connectionHandlers());
    }

    /** Runs the channel's pending tasks, then returns its next non-empty outbound frame, or null. */
    static ByteBuf nextResponse(EmbeddedChannel ch) {
        ch.runPendingTasks();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            if (b.isReadable()) {
                return b;
            }
            b.release();
        }
        return null;
    }
}
