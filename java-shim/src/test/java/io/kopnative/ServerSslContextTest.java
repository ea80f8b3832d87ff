package io.kopnative;

import static io.kopnative.KopConfigTest.conf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.broker.authentication.AuthenticationProviderTls;
import org.apache.pulsar.broker.authentication.AuthenticationService;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server TLS contexts built from a PKCS12 key store, a JKS key store and PEM files made at test
 * time, checked by a real TLS handshake (in memory, a JDK client engine against the listener's
 * engine); client certificates and the mTLS role; reload when the files change.
 */
class ServerSslContextTest {
    private static final Listener LISTENER = new Listener("SSL", "SSL", "127.0.0.1", 9093);
    @TempDir
    static Path dir;
    static Path p12;
    static Path jks;
    static Path certPem;
    static Path keyPem;
    static Path aliceP12;
    static Path trustP12;

    @BeforeAll
    static void makeCertificates() throws Exception {
        p12 = dir.resolve("server.p12");
        TestPki.keyPair(p12, "PKCS12", "server", "localhost", "p12pass", null);
        jks = dir.resolve("server.jks");
        TestPki.keyPair(jks, "JKS", "server", "localhost", "storepass", "keypass");
        certPem = dir.resolve("server.cert.pem");
        keyPem = dir.resolve("server.key.pem");
        TestPki.writePem(p12, "PKCS12", "p12pass", "p12pass", "server", certPem, keyPem);
        aliceP12 = dir.resolve("alice.p12");
        TestPki.keyPair(aliceP12, "PKCS12", "alice", "alice", "alicepass", null);
        trustP12 = dir.resolve("trust.p12");
        TestPki.trustStore(trustP12, "trustpass", TestPki.certificate(aliceP12, "PKCS12", "alicepass", "alice"));
    }

    static List<SslProvider> providers() {
        return OpenSsl.isAvailable() ? List.of(SslProvider.JDK, SslProvider.OPENSSL) : List.of(SslProvider.JDK);
    }

    static TlsSettings settings(ServiceConfiguration conf) {
        return KopConfig.from(conf).tls();
    }

    static TlsSettings settings(String... keysAndValues) {
        return settings(conf(keysAndValues));
    }

    static TlsSettings pemSettings(Path cert, Path key) {
        ServiceConfiguration conf = conf();
        conf.setTlsCertificateFilePath(cert.toString());
        conf.setTlsKeyFilePath(key.toString());
        return settings(conf);
    }

    /** What each side saw of a completed handshake. */
    record Handshake(X509Certificate serverCert, String protocol, SSLSession serverSession) {
    }

    /** A JDK client (trusting any server certificate, presenting {@code clientKeys}) against {@code server}. */
    static Handshake handshake(SslContext server, KeyManager[] clientKeys) throws Exception {
        List<X509Certificate> seen = new ArrayList<>();
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                seen.add(chain[0]);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext jdk = SSLContext.getInstance("TLS");
        jdk.init(clientKeys, new TrustManager[] {trustAll}, null);
        SSLEngine client = jdk.createSSLEngine("localhost", 9093);
        client.setUseClientMode(true);
        SSLEngine srv = server.newEngine(ByteBufAllocator.DEFAULT);
        try {
            ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
            ByteBuffer toClient = ByteBuffer.allocate(1 << 17);
            ByteBuffer app = ByteBuffer.allocate(1 << 17);
            ByteBuffer empty = ByteBuffer.allocate(0);
            client.beginHandshake();
            srv.beginHandshake();
            for (int i = 0; i < 100; i++) {
                client.wrap(empty, toServer);
                runTasks(client);
                toServer.flip();
                while (toServer.hasRemaining() && srv.unwrap(toServer, app).bytesConsumed() > 0) {
                    runTasks(srv);
                }
                toServer.compact();
                srv.wrap(empty, toClient);
                runTasks(srv);
                toClient.flip();
                while (toClient.hasRemaining() && client.unwrap(toClient, app).bytesConsumed() > 0) {
                    runTasks(client);
                }
                toClient.compact();
                if (done(client) && done(srv) && toServer.position() == 0 && toClient.position() == 0) {
                    return new Handshake(seen.get(seen.size() - 1), client.getSession().getProtocol(),
                            srv.getSession());
                }
            }
            throw new AssertionError("handshake did not finish");
        } finally {
            ReferenceCountUtil.release(srv);
        }
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus s = e.getHandshakeStatus();
        return s == HandshakeStatus.NOT_HANDSHAKING || s == HandshakeStatus.FINISHED;
    }

    private static void runTasks(SSLEngine e) {
        for (Runnable t = e.getDelegatedTask(); t != null; t = e.getDelegatedTask()) {
            t.run();
        }
    }

    static KeyManager[] alice() throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(TestPki.load(aliceP12, "PKCS12", "alicepass"), "alicepass".toCharArray());
        return kmf.getKeyManagers();
    }

    static BigInteger serial(Path store, String type, String pass) throws Exception {
        return TestPki.certificate(store, type, pass, "server").getSerialNumber();
    }

    @Test
    void pkcs12KeyStoreOnEveryEngine() throws Exception {
        TlsSettings s = settings("kopSslKeystoreLocation", p12.toString(), "kopSslKeystorePassword", "p12pass");
        for (SslProvider provider : providers()) {
            Handshake h = handshake(ServerSslContext.build(s, provider), null);
            assertEquals(serial(p12, "PKCS12", "p12pass"), h.serverCert().getSerialNumber(), provider.name());
        }
    }

    @Test
    void jksKeyStoreWithItsOwnKeyPassword() throws Exception {
        TlsSettings s = settings("kopSslKeystoreType", "JKS", "kopSslKeystoreLocation", jks.toString(),
                "kopSslKeystorePassword", "storepass", "kopSslKeyPassword", "keypass");
        for (SslProvider provider : providers()) {
            Handshake h = handshake(ServerSslContext.build(s, provider), null);
            assertEquals(serial(jks, "JKS", "storepass"), h.serverCert().getSerialNumber(), provider.name());
        }
        // Without kopSslKeyPassword the key store password is tried on the key, as Kafka does: wrong here.
        TlsSettings noKeyPassword = settings("kopSslKeystoreType", "JKS", "kopSslKeystoreLocation", jks.toString(),
                "kopSslKeystorePassword", "storepass");
        ServerSslContext.TlsSetupException e = assertThrows(ServerSslContext.TlsSetupException.class,
                () -> ServerSslContext.build(noKeyPassword, SslProvider.JDK));
        assertTrue(e.getMessage().contains("kopSslKeystoreLocation=" + jks) && e.getMessage()
                .contains("kopSslKeyPassword"), e.getMessage());
    }

    @Test
    void pemFilesWhenNoKeyStore() throws Exception {
        for (SslProvider provider : providers()) {
            Handshake h = handshake(ServerSslContext.build(pemSettings(certPem, keyPem), provider), null);
            assertEquals(serial(p12, "PKCS12", "p12pass"), h.serverCert().getSerialNumber(), provider.name());
        }
    }

    @Test
    void badFilesAndPasswordsSayWhichKeyAndNeverThePassword() {
        String[][] cases = {
            {"kopSslKeystoreLocation", p12.toString(), "kopSslKeystorePassword", "wrong-secret"},
            {"kopSslKeystoreLocation", dir.resolve("absent.p12").toString(), "kopSslKeystorePassword", "p12pass"},
            {"kopSslKeystoreLocation", certPem.toString(), "kopSslKeystorePassword", "p12pass"},
            {"kopSslKeystoreLocation", trustP12.toString(), "kopSslKeystorePassword", "trustpass"},
            {"kopSslKeystoreLocation", p12.toString(), "kopSslKeystorePassword", "p12pass",
                "kopSslTruststoreLocation", trustP12.toString(), "kopSslTruststorePassword", "wrong-secret"},
        };
        for (String[] kv : cases) {
            ServerSslContext.TlsSetupException e = assertThrows(ServerSslContext.TlsSetupException.class,
                    () -> ServerSslContext.build(settings(kv), SslProvider.JDK), String.join(" ", kv));
            String key = kv.length > 6 ? "kopSslTruststoreLocation" : "kopSslKeystoreLocation";
            assertTrue(e.getMessage().contains(key + "="), e.getMessage());
            assertFalse(e.getMessage().contains("wrong-secret"), e.getMessage());
        }
        ServerSslContext.TlsSetupException e = assertThrows(ServerSslContext.TlsSetupException.class,
                () -> ServerSslContext.build(pemSettings(certPem, dir.resolve("absent.pem")), SslProvider.JDK));
        assertTrue(e.getMessage().contains("tlsKeyFilePath=") && e.getMessage().contains("no such readable file"),
                e.getMessage());
        e = assertThrows(ServerSslContext.TlsSetupException.class,
                () -> ServerSslContext.build(pemSettings(keyPem, certPem), SslProvider.JDK));
        assertTrue(e.getMessage().contains("tlsCertificateFilePath="), e.getMessage());
    }

    @Test
    void protocolsAndCipherSuitesTheEngineLacksFailAtStart() throws Exception {
        TlsSettings pinned = settings("kopSslKeystoreLocation", p12.toString(), "kopSslKeystorePassword", "p12pass",
                "kopSslProtocol", "TLSv1.2");
        for (SslProvider provider : providers()) {
            assertEquals("TLSv1.2", handshake(ServerSslContext.build(pinned, provider), null).protocol());
        }
        TlsSettings badCipher = settings("kopSslKeystoreLocation", p12.toString(), "kopSslKeystorePassword",
                "p12pass", "kopSslCipherSuites", "TLS_NO_SUCH_CIPHER");
        for (SslProvider provider : providers()) {
            assertThrows(ServerSslContext.TlsSetupException.class, () -> ServerSslContext.build(badCipher, provider),
                    provider.name());
        }
    }

    @Test
    void requiredClientCertificateAndItsPulsarRole() throws Exception {
        TlsSettings s = settings("kopSslKeystoreLocation", p12.toString(), "kopSslKeystorePassword", "p12pass",
                "kopSslTruststoreLocation", trustP12.toString(), "kopSslTruststorePassword", "trustpass",
                "kopSslClientAuth", "required");
        ServiceConfiguration authConf = conf();
        authConf.setAuthenticationEnabled(true);
        authConf.setAuthenticationProviders(Set.of(AuthenticationProviderTls.class.getName()));
        try (AuthenticationService auth = new AuthenticationService(authConf);
             AuthenticationService noTls = new AuthenticationService(conf())) {
            for (SslProvider provider : providers()) {
                SslContext ctx = ServerSslContext.build(s, provider);
                assertThrows(SSLException.class, () -> handshake(ctx, null), provider.name());
                Handshake h = handshake(ctx, alice());
                assertEquals("alice", TlsIdentity.role(h.serverSession(), null, auth).get(), provider.name());
                assertNull(TlsIdentity.role(h.serverSession(), null, noTls).get());
                assertNull(TlsIdentity.role(null, null, auth).get());
            }
            // Requested: a client without a certificate gets in, and has no certificate role.
            TlsSettings requested = settings("kopSslKeystoreLocation", p12.toString(), "kopSslKeystorePassword",
                    "p12pass", "kopSslTruststoreLocation", trustP12.toString(), "kopSslTruststorePassword",
                    "trustpass", "kopSslClientAuth", "requested");
            for (SslProvider provider : providers()) {
                Handshake h = handshake(ServerSslContext.build(requested, provider), null);
                assertNull(TlsIdentity.role(h.serverSession(), null, auth).get(), provider.name());
            }
        }
    }

    @Test
    void reloadWhenTheFilesChange() throws Exception {
        Path cert = dir.resolve("reload.cert.pem");
        Path key = dir.resolve("reload.key.pem");
        Files.copy(certPem, cert);
        Files.copy(keyPem, key);
        ServerSslContext tls = ServerSslContext.open(LISTENER, pemSettings(cert, key), SslProvider.JDK);
        SslContext first = tls.current();
        assertFalse(tls.reloadIfChanged());
        assertSame(first, tls.current());

        Path next = dir.resolve("next.p12");
        TestPki.keyPair(next, "PKCS12", "server", "localhost", "nextpass", null);
        TestPki.writePem(next, "PKCS12", "nextpass", "nextpass", "server", cert, key);
        assertTrue(tls.reloadIfChanged());
        SslContext second = tls.current();
        assertNotSame(first, second);
        BigInteger nextSerial = serial(next, "PKCS12", "nextpass");
        assertEquals(nextSerial, handshake(second, null).serverCert().getSerialNumber());
        // An open connection's engine is not affected; the old context still works.
        assertEquals(serial(p12, "PKCS12", "p12pass"), handshake(first, null).serverCert().getSerialNumber());

        // A broken replacement keeps the previous context (one WARN), and is not retried until it changes.
        Files.writeString(key, "not a key");
        assertFalse(tls.reloadIfChanged());
        assertSame(second, tls.current());
        assertFalse(tls.reloadIfChanged());
        TestPki.writePem(p12, "PKCS12", "p12pass", "p12pass", "server", cert, key);
        assertTrue(tls.reloadIfChanged());
        assertEquals(serial(p12, "PKCS12", "p12pass"), handshake(tls.current(), null).serverCert().getSerialNumber());
    }
}
