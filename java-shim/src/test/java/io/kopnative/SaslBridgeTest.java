package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SASL through the real libkopnative.so: the listener's mechanisms reach the core, the
 * Authenticate upcall and its completion, the pre-authentication gate, and the delayed close
 * after a failed authentication (connection.failed.authentication.delay.ms).
 */
class SaslBridgeTest extends NativeTestBase {
    private static final int DELAY_MS = 200;

    @Override
    KopConfig configure() {
        return KopConfig.from(KopConfigTest.conf("kafkaListeners", "SASL_PLAINTEXT://127.0.0.1:9093",
                "saslAllowedMechanisms", "PLAIN,OAUTHBEARER",
                "connection.failed.authentication.delay.ms", Integer.toString(DELAY_MS)));
    }

    @Override
    KafkaChannelInitializer initializer(KopConfig config, NativeBroker broker) {
        // The token "good" proves role alice; anything else is refused.
        SaslAuthenticator sasl = new SaslAuthenticator(m -> new SaslAuthenticatorTest.FakeProvider(m, "alice", null) {
            @Override
            public java.util.concurrent.CompletableFuture<String> authenticateAsync(
                    org.apache.pulsar.broker.authentication.AuthenticationDataSource data) {
                return "good".equals(data.getCommandData()) ? super.authenticateAsync(data)
                        : java.util.concurrent.CompletableFuture.failedFuture(
                                new javax.naming.AuthenticationException("signature mismatch"));
            }
        }, config.saslMechanisms(), config.failedAuthenticationDelayMs(), config.saslServerMaxReceiveSize());
        return new KafkaChannelInitializer(broker, config.listeners().get(0), config, null, null, sasl);
    }

    private static ByteBuf header(int key, int version, int correlationId) {
        byte[] clientId = "t".getBytes(StandardCharsets.UTF_8);
        ByteBuf b = Unpooled.directBuffer();
        b.writeInt(0); // length, set by frame()
        b.writeShort(key).writeShort(version).writeInt(correlationId).writeShort(clientId.length).writeBytes(clientId);
        return b;
    }

    private static ByteBuf frame(ByteBuf b) {
        b.setInt(0, b.readableBytes() - 4);
        return b;
    }

    private static ByteBuf handshake(int correlationId, String mechanism) {
        byte[] m = mechanism.getBytes(StandardCharsets.UTF_8);
        return frame(header(17, 1, correlationId).writeShort(m.length).writeBytes(m));
    }

    private static ByteBuf authenticate(int correlationId, String user, String password) {
        byte[] token = ("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8);
        return frame(header(36, 1, correlationId).writeInt(token.length).writeBytes(token));
    }

    // SaslAuthenticate v1 response: error code, then the message (null on success).
    private static short authError(ByteBuf r, int correlationId) {
        assertEquals(correlationId, r.getInt(4));
        return r.getShort(8);
    }

    @Test
    void plainTokenAuthenticatesThenRequestsAreServed() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(handshake(1, "PLAIN"));
        ByteBuf hs = nextResponse(ch);
        assertNotNull(hs);
        assertEquals(0, hs.getShort(8));
        hs.release();
        ch.writeInbound(authenticate(2, "public/default", "token:good"));
        ByteBuf auth = nextResponse(ch);
        assertNotNull(auth);
        assertEquals(0, authError(auth, 2));
        auth.release();
        ch.writeInbound(frame(header(3, 0, 3).writeInt(0))); // Metadata v0
        ByteBuf metadata = nextResponse(ch);
        assertNotNull(metadata, "Metadata is served once authenticated");
        assertEquals(3, metadata.getInt(4));
        metadata.release();
        assertTrue(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void requestBeforeAuthenticationCloses() {
        EmbeddedChannel ch = connect();
        // Metadata v0 with no topics.
        ch.writeInbound(frame(header(3, 0, 1).writeInt(0)));
        ch.runPendingTasks();
        assertNull(nextResponse(ch));
        assertFalse(ch.isOpen());
    }

    @Test
    void failedAuthenticationAnswersLateThenCloses() throws Exception {
        EmbeddedChannel ch = connect();
        ch.writeInbound(handshake(1, "PLAIN"));
        nextResponse(ch).release();
        ch.writeInbound(authenticate(2, "public", "token:wrong"));
        ch.runPendingTasks();
        assertNull(ch.readOutbound(), "the refusal waits for the delay");
        assertTrue(ch.isOpen());
        Thread.sleep(DELAY_MS + 100);
        ch.runScheduledPendingTasks();
        ByteBuf r = nextResponse(ch);
        assertNotNull(r);
        assertEquals(KafkaErrors.SASL_AUTHENTICATION_FAILED, authError(r, 2));
        int len = r.getShort(10);
        String message = r.toString(12, len, StandardCharsets.UTF_8);
        assertFalse(message.contains("wrong"), message);
        assertTrue(message.contains("signature mismatch"), message);
        r.release();
        assertFalse(ch.isOpen());
    }

    @Test
    void largeFramesWaitForAuthentication() {
        int big = (int) config.saslServerMaxReceiveSize() + 1;
        EmbeddedChannel ch = connect();
        ByteBuf head = Unpooled.buffer().writeInt(big).writeShort(3).writeShort(0).writeInt(1);
        ch.writeInbound(head);
        ch.runPendingTasks();
        assertFalse(ch.isOpen(), "a frame above sasl.server.max.receive.size before SASL closes");

        EmbeddedChannel ok = connect();
        ok.writeInbound(handshake(1, "PLAIN"));
        nextResponse(ok).release();
        ok.writeInbound(authenticate(2, "public", "token:good"));
        nextResponse(ok).release();
        ok.writeInbound(Unpooled.buffer().writeInt(big).writeShort(3).writeShort(0).writeInt(1));
        ok.runPendingTasks();
        assertTrue(ok.isOpen(), "after SASL, frames up to kafkaMaxFrameSize are read");
        ok.finishAndReleaseAll();
    }

    @Test
    void unsupportedMechanismListsTheEnabledOnes() {
        EmbeddedChannel ch = connect();
        ch.writeInbound(handshake(1, "SCRAM-SHA-512"));
        ByteBuf r = nextResponse(ch);
        assertNotNull(r);
        assertEquals(33, r.getShort(8)); // UNSUPPORTED_SASL_MECHANISM
        assertEquals(2, r.getInt(10));
        List<String> names = List.of(r.toString(16, 5, StandardCharsets.UTF_8));
        assertEquals(List.of("PLAIN"), names);
        r.release();
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
    }
}
