package io.kopnative;

import static io.kopnative.KopConfigTest.conf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.junit.jupiter.api.Test;

/** The kopSsl* keys and Pulsar's PEM keys, as KopConfig reads them (issue 11, listeners and TLS). */
class TlsSettingsTest {
    private static TlsSettings tls(String... keysAndValues) {
        return KopConfig.from(conf(keysAndValues)).tls();
    }

    private static void refused(String key, String value, String... needles) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tls(key, value));
        assertTrue(e.getMessage().contains(key + "=" + value.trim()), e.getMessage());
        for (String n : needles) {
            assertTrue(e.getMessage().contains(n), e.getMessage());
        }
    }

    @Test
    void defaults() {
        TlsSettings t = tls();
        assertEquals("PKCS12", t.keystoreType);
        assertEquals("PKCS12", t.truststoreType);
        assertNull(t.keystoreLocation);
        assertNull(t.keystorePassword);
        assertNull(t.keyPassword);
        assertNull(t.truststoreLocation);
        assertNull(t.truststorePassword);
        assertEquals(TlsSettings.ClientAuth.NONE, t.clientAuth);
        assertEquals("TLS", t.protocol);
        assertNull(t.effectiveProtocols());
        assertTrue(t.cipherSuites.isEmpty());
        assertNull(t.pemCertificate);
        assertEquals(300, t.refreshSeconds); // Pulsar's default
        assertFalse(t.hasCertificate());
        assertTrue(t.files().isEmpty());
    }

    @Test
    void everyKey() {
        TlsSettings t = tls("kopSslKeystoreType", "jks", "kopSslKeystoreLocation", " /k/server.jks ",
                "kopSslKeystorePassword", "store pass", "kopSslKeyPassword", "keypass",
                "kopSslTruststoreType", "Pkcs12", "kopSslTruststoreLocation", "/k/trust.p12",
                "kopSslTruststorePassword", "trustpass", "kopSslClientAuth", " Required ",
                "kopSslProtocol", "tlsv1.3", "kopSslEnabledProtocols", "TLSv1.3, tlsv1.2,",
                "kopSslCipherSuites", "TLS_AES_128_GCM_SHA256 , TLS_AES_256_GCM_SHA384");
        assertEquals("JKS", t.keystoreType);
        assertEquals("/k/server.jks", t.keystoreLocation);
        assertEquals("store pass", t.keystorePassword);
        assertEquals("keypass", t.keyPassword);
        assertEquals("PKCS12", t.truststoreType);
        assertEquals("/k/trust.p12", t.truststoreLocation);
        assertEquals("trustpass", t.truststorePassword);
        assertEquals(TlsSettings.ClientAuth.REQUIRED, t.clientAuth);
        assertEquals("TLSv1.3", t.protocol);
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), t.effectiveProtocols());
        assertEquals(List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"), t.cipherSuites);
        assertTrue(t.hasCertificate());
        assertEquals(List.of(Path.of("/k/server.jks"), Path.of("/k/trust.p12")), t.files());
        String text = t.toString();
        assertFalse(text.contains("store pass") || text.contains("keypass") || text.contains("trustpass"), text);
        assertTrue(text.contains("kopSslKeystoreLocation=/k/server.jks (JKS)"), text);
        assertEquals(TlsSettings.ClientAuth.REQUESTED, tls("kopSslClientAuth", "requested").clientAuth);
        assertEquals(TlsSettings.ClientAuth.NONE, tls("kopSslClientAuth", "NONE").clientAuth);
    }

    @Test
    void protocolImpliesTheEnabledVersionsUnlessTheyAreListed() {
        assertEquals(List.of("TLSv1.2"), tls("kopSslProtocol", "TLSv1.2").effectiveProtocols());
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), tls("kopSslProtocol", "TLSv1.3").effectiveProtocols());
        assertNull(tls("kopSslProtocol", "tls").effectiveProtocols());
        assertEquals(List.of("TLSv1.3"), tls("kopSslProtocol", "TLSv1.2", "kopSslEnabledProtocols", "TLSv1.3")
                .effectiveProtocols());
    }

    @Test
    void badValuesNameTheKey() {
        refused("kopSslKeystoreType", "PEM", "[JKS, PKCS12]");
        refused("kopSslTruststoreType", "BKS", "[JKS, PKCS12]");
        refused("kopSslClientAuth", "maybe", "none, requested, required");
        refused("kopSslProtocol", "SSLv3", "TLSv1.3");
        refused("kopSslEnabledProtocols", "TLSv9", "TLSv1.3");
    }

    @Test
    void pemFilesComeFromPulsarsKeys() {
        ServiceConfiguration conf = conf();
        conf.setTlsCertificateFilePath("/pem/broker.cert.pem");
        conf.setTlsKeyFilePath("/pem/broker.key-pk8.pem");
        conf.setTlsTrustCertsFilePath("/pem/ca.cert.pem");
        conf.setTlsCertRefreshCheckDurationSec(0);
        TlsSettings t = KopConfig.from(conf).tls();
        assertTrue(t.hasCertificate());
        assertEquals(0, t.refreshSeconds);
        assertEquals(List.of(Path.of("/pem/broker.cert.pem"), Path.of("/pem/broker.key-pk8.pem"),
                Path.of("/pem/ca.cert.pem")), t.files());
        assertTrue(t.toString().contains("reload every never"), t.toString());
        // A keystore wins over the PEM files.
        conf.getProperties().setProperty("kopSslKeystoreLocation", "/k/server.p12");
        assertEquals(List.of(Path.of("/k/server.p12"), Path.of("/pem/ca.cert.pem")),
                KopConfig.from(conf).tls().files());
    }

    @Test
    void noCertificateMessageNamesTheListenerAndTheKeys() {
        ServiceConfiguration conf = conf("kafkaListeners", "SSL://127.0.0.1:9093");
        KopConfig c = KopConfig.from(conf);
        String m = c.tls().noCertificate(c.listeners().get(0));
        assertTrue(m.contains("refusing to open Kafka listener SSL://127.0.0.1:9093"), m);
        for (String key : new String[] {"kopSslKeystoreLocation", "tlsCertificateFilePath", "tlsKeyFilePath"}) {
            assertTrue(m.contains(key), m);
        }
        conf.setTlsCertificateFilePath("/pem/cert.pem");
        assertFalse(KopConfig.from(conf).tls().hasCertificate()); // the key is missing
        String half = KopConfig.from(conf).tls().noCertificate(c.listeners().get(0));
        assertTrue(half.contains("tlsKeyFilePath is not set"), half);
    }

    @Test
    void everySecurityProtocolIsSupportedAndTlsOnesUseTls() {
        KopConfig c = KopConfig.from(conf("kafkaListeners", "PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093,"
                + "SASL_PLAINTEXT://127.0.0.1:9094,SASL_SSL://127.0.0.1:9095"));
        assertEquals(List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
                c.listeners().stream().map(Listener::securityProtocol).toList());
        assertTrue(TlsSettings.usesTls("SSL"));
        assertTrue(TlsSettings.usesTls("SASL_SSL"));
        assertFalse(TlsSettings.usesTls("PLAINTEXT"));
        assertFalse(TlsSettings.usesTls("SASL_PLAINTEXT"));
        assertThrows(IllegalArgumentException.class, () -> KopConfig.from(conf("kafkaListeners",
                "GSSAPI://127.0.0.1:9096")));
    }

    @Test
    void shutListenersAreNeitherOpenedNorAdvertised() {
        ServiceConfiguration conf = conf("kafkaListeners", "PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093");
        KopConfig c = KopConfig.from(conf, Set.of("SSL"));
        assertEquals(List.of("PLAINTEXT://127.0.0.1:9092"), c.listeners().stream().map(Listener::toString).toList());
        assertEquals(List.of("SSL://127.0.0.1:9093"), c.refusedListeners().stream().map(Listener::toString).toList());
        assertEquals("PLAINTEXT://127.0.0.1:9092", c.advertisedListenersText());
    }

    @Test
    void sslWithRequiredClientCertificatesAuthenticates() {
        ServiceConfiguration conf = conf("kafkaListeners", "SSL://127.0.0.1:9093", "kopSslClientAuth", "required");
        conf.setAuthenticationEnabled(true);
        KopConfig c = KopConfig.from(conf);
        assertEquals(1, c.listeners().size());
        assertTrue(c.unauthenticatedListeners().isEmpty());
        // Requested is not enough: a client without a certificate gets in (the side-door rule).
        KopConfig requested = KopConfig.from(authOn(conf("kafkaListeners", "SSL://127.0.0.1:9093",
                "kopSslClientAuth", "requested")));
        assertTrue(requested.listeners().isEmpty());
        assertEquals(1, requested.refusedListeners().size());
    }

    private static ServiceConfiguration authOn(ServiceConfiguration conf) {
        conf.setAuthenticationEnabled(true);
        return conf;
    }
}
