package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.apache.pulsar.metadata.api.MetadataStoreConfig;
import org.apache.pulsar.metadata.api.extended.MetadataStoreExtended;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SCRAM credential fetches through the real libkopnative.so: what the store hands back crosses
 * only within the bridge's bounds (a salt of at most 1024 bytes, keys of at most 64), so a
 * corrupt stored credential fails the login instead of reaching the core.
 */
class ScramBridgeTest extends NativeTestBase {
    private MetadataStoreExtended metadata;
    private ScramCredentialStore store;

    @Override
    KopConfig configure() {
        return KopConfig.from(KopConfigTest.conf("kafkaListeners", "SASL_PLAINTEXT://127.0.0.1:9093",
                "saslAllowedMechanisms", "SCRAM-SHA-512", "connection.failed.authentication.delay.ms", "0"));
    }

    @Override
    KafkaChannelInitializer initializer(KopConfig config, NativeBroker broker) {
        SaslAuthenticator sasl = new SaslAuthenticator(m -> new SaslAuthenticatorTest.FakeProvider(m, "alice", null),
                config.saslMechanisms(), config.failedAuthenticationDelayMs(), config.saslServerMaxReceiveSize());
        return new KafkaChannelInitializer(broker, config.listeners().get(0), config, null, null, sasl);
    }

    @BeforeEach
    void setUpStore() throws Exception {
        metadata = MetadataStoreExtended.create("memory:local", MetadataStoreConfig.builder().build());
        store = new ScramCredentialStore(metadata);
        broker.setScramStore(store);
    }

    @AfterEach
    void closeStore() throws Exception {
        metadata.close();
    }

    private static ByteBuf request(int key, int version, int correlationId, byte[] body) {
        byte[] clientId = "t".getBytes(StandardCharsets.UTF_8);
        ByteBuf b = Unpooled.directBuffer();
        b.writeInt(0);
        b.writeShort(key).writeShort(version).writeInt(correlationId).writeShort(clientId.length).writeBytes(clientId);
        b.writeBytes(body);
        b.setInt(0, b.readableBytes() - 4);
        return b;
    }

    // The first SCRAM round for `user` on a new connection -> SaslAuthenticate's error code.
    private short firstRound(String user) throws Exception {
        EmbeddedChannel ch = connect();
        byte[] m = "SCRAM-SHA-512".getBytes(StandardCharsets.UTF_8);
        ByteBuf hs = Unpooled.buffer().writeShort(m.length).writeBytes(m);
        ch.writeInbound(request(17, 1, 1, bytes(hs)));
        ByteBuf r = nextResponse(ch);
        assertNotNull(r);
        assertEquals(0, r.getShort(8));
        r.release();
        byte[] first = ("n,,n=" + user + ",r=clientnonce").getBytes(StandardCharsets.UTF_8);
        ByteBuf auth = Unpooled.buffer().writeInt(first.length).writeBytes(first);
        ch.writeInbound(request(36, 1, 2, bytes(auth)));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((r = nextResponse(ch)) == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
            ch.runScheduledPendingTasks();
        }
        assertNotNull(r, "no answer to the first SCRAM round");
        try {
            assertEquals(2, r.getInt(4));
            return r.getShort(8);
        } finally {
            r.release();
            ch.finishAndReleaseAll();
        }
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    @Test
    void storedCredentialsPastTheBoundsFailTheLogin() throws Exception {
        byte[] key = new byte[64];
        store.put("SCRAM-SHA-512", "fine", new ScramCredentialStore.Credential(new byte[1024], key, key, 4096)).get();
        store.put("SCRAM-SHA-512", "salty", new ScramCredentialStore.Credential(new byte[1025], key, key, 4096)).get();
        store.put("SCRAM-SHA-512", "keyed", new ScramCredentialStore.Credential(new byte[16], new byte[65], key,
                4096)).get();
        assertEquals(0, firstRound("fine"));
        assertEquals(KafkaErrors.SASL_AUTHENTICATION_FAILED, firstRound("salty"));
        assertEquals(KafkaErrors.SASL_AUTHENTICATION_FAILED, firstRound("keyed"));
    }
}
