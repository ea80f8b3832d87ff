package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.junit.jupiter.api.Test;

class KopConfigTest {
    static ServiceConfiguration conf(String... keysAndValues) {
        ServiceConfiguration conf = new ServiceConfiguration();
        conf.setClusterName("test-cluster");
        conf.setAdvertisedAddress("broker.example");
        conf.setBrokerEntryMetadataInterceptors(Set.of(KopConfig.INDEX_INTERCEPTOR));
        for (int i = 0; i < keysAndValues.length; i += 2) {
            conf.getProperties().setProperty(keysAndValues[i], keysAndValues[i + 1]);
        }
        return conf;
    }

    static Map<String, String> nativeMap(KopConfig c) {
        String[] kv = c.toNativeKeysAndValues();
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void defaultsAreKopDefaults() {
        KopConfig c = KopConfig.from(conf());
        assertEquals(1, c.listeners().size());
        assertEquals("PLAINTEXT://127.0.0.1:9092", c.listeners().get(0).toString());
        assertEquals("PLAINTEXT://127.0.0.1:9092", c.advertisedListenersText());
        assertEquals(100 * 1024 * 1024, c.maxFrameSize());
        assertEquals(600_000L, c.connectionMaxIdleMs());
        Map<String, String> m = nativeMap(c);
        assertEquals("public", m.get("kafkaTenant"));
        assertEquals("default", m.get("kafkaNamespace"));
        assertEquals("public", m.get("kafkaMetadataTenant"));
        assertEquals("__kafka", m.get("kafkaMetadataNamespace"));
        assertEquals("pulsar", m.get("entryFormat"));
        assertEquals("50", m.get("offsetsTopicNumPartitions"));
        assertEquals("127.0.0.1", m.get("kop.advertised.host"));
        assertEquals("9092", m.get("kop.advertised.port"));
        assertEquals("test-cluster", m.get("kop.cluster.id"));
        assertTrue(Integer.parseInt(m.get("kop.node.id")) >= 0);
    }

    @Test
    void missingIndexInterceptorRefusesToStart() {
        ServiceConfiguration conf = conf();
        conf.setBrokerEntryMetadataInterceptors(Set.of(
                "org.apache.pulsar.common.intercept.AppendBrokerTimestampMetadataInterceptor"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KopConfig.from(conf));
        assertTrue(e.getMessage().contains("brokerEntryMetadataInterceptors=" + KopConfig.INDEX_INTERCEPTOR),
                e.getMessage());
    }

    @Test
    void wildcardListenerAdvertisesBrokerAddress() {
        KopConfig c = KopConfig.from(conf("kafkaListeners", "PLAINTEXT://0.0.0.0:19092"));
        assertEquals(19092, c.listeners().get(0).bindAddress().getPort());
        assertTrue(c.listeners().get(0).bindAddress().getAddress().isAnyLocalAddress());
        assertEquals("PLAINTEXT://broker.example:19092", c.advertisedListenersText());
    }

    @Test
    void namedListenersUseProtocolMap() {
        KopConfig c = KopConfig.from(conf(
                "kafkaListeners", "internal://127.0.0.1:9092,external://127.0.0.1:19092",
                "kafkaAdvertisedListeners", "internal://10.0.0.1:9092,external://kafka.example:19092",
                "kafkaProtocolMap", "internal:PLAINTEXT,external:PLAINTEXT"));
        List<Listener> ls = c.listeners();
        assertEquals(List.of("INTERNAL", "EXTERNAL"), ls.stream().map(Listener::name).toList());
        assertEquals("INTERNAL://10.0.0.1:9092,EXTERNAL://kafka.example:19092", c.advertisedListenersText());
    }

    @Test
    void saslListenersAndMechanisms() {
        KopConfig d = KopConfig.from(conf("kafkaListeners",
                "PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9093"));
        assertEquals("SASL_PLAINTEXT", d.listeners().get(1).securityProtocol());
        assertEquals(List.of("PLAIN"), d.saslMechanisms());
        assertEquals(100, d.failedAuthenticationDelayMs());
        assertEquals(524_288, d.saslServerMaxReceiveSize());
        assertEquals("0", nativeMap(d).get("connectionsMaxReauthMs"));

        KopConfig c = KopConfig.from(conf("saslAllowedMechanisms", " oauthbearer, PLAIN,PLAIN ",
                "connectionsMaxReauthMs", "3600000", "connection.failed.authentication.delay.ms", "0"));
        assertEquals(List.of("OAUTHBEARER", "PLAIN"), c.saslMechanisms());
        assertEquals(0, c.failedAuthenticationDelayMs());
        assertEquals("3600000", nativeMap(c).get("connectionsMaxReauthMs"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KopConfig.from(conf("saslAllowedMechanisms", "GSSAPI")));
        assertEquals("saslAllowedMechanisms: mechanism GSSAPI is not supported (supported: PLAIN, OAUTHBEARER, "
                + "SCRAM-SHA-256, SCRAM-SHA-512)", e.getMessage());
    }

    @Test
    void legacyListenersAliasIsRead() {
        KopConfig c = KopConfig.from(conf("listeners", "PLAINTEXT://127.0.0.1:29092"));
        assertEquals(29092, c.listeners().get(0).port());
    }

    @Test
    void invalidSettingsNameTheKey() {
        for (String[] bad : List.of(
                new String[] {"kafkaListeners", "127.0.0.1:9092"},
                new String[] {"kafkaListeners", "PLAINTEXT://127.0.0.1:notaport"},
                new String[] {"kafkaListeners", "SASL_SCRAM://127.0.0.1:9093"},
                new String[] {"saslAllowedMechanisms", "GSSAPI"},
                new String[] {"saslAllowedMechanisms", " , "},
                new String[] {"connectionsMaxReauthMs", "-1"},
                new String[] {"connection.failed.authentication.delay.ms", "soon"},
                new String[] {"sasl.server.max.receive.size", "10"},
                new String[] {"kafkaMaxFrameSize", "12"},
                new String[] {"offsetsTopicNumPartitions", "zero"},
                new String[] {"entryFormat", "mixed_kafka"})) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> KopConfig.from(conf(bad)), Arrays.toString(bad));
            assertTrue(e.getMessage().contains(bad[0]), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> KopConfig.from(conf(
                "kafkaListeners", "A://127.0.0.1:1,B://127.0.0.1:2", "kafkaProtocolMap", "A:PLAINTEXT,B:PLAINTEXT",
                "kafkaAdvertisedListeners", "A://h:1")));
    }

    @Test
    void brokerPropertiesReachTheCoreAndEffectiveValuesWin() {
        Map<String, String> m = nativeMap(KopConfig.from(conf("entryFormat", "KAFKA", "someFutureKey", "x")));
        assertEquals("kafka", m.get("entryFormat"));
        assertEquals("x", m.get("someFutureKey"));
    }

    @Test
    void groupCoordinatorKeysHaveKopDefaults() {
        KopConfig c = KopConfig.from(conf());
        Map<String, String> m = nativeMap(c);
        assertEquals("4320", m.get("offsetsRetentionMinutes"));
        assertEquals("600000", m.get("offsetsRetentionCheckIntervalMs"));
        assertEquals("4096", m.get("offsetMetadataMaxSize"));
        assertEquals("5000", m.get("offsetCommitTimeoutMs"));
        assertEquals("6000", m.get("groupMinSessionTimeoutMs"));
        assertEquals("300000", m.get("groupMaxSessionTimeoutMs"));
        assertEquals("3000", m.get("groupInitialRebalanceDelayMs"));
        assertEquals("2147483647", m.get("groupMaxSize"));
        assertEquals("true", m.get("kafkaGroupSubscriptionMirror"));
        assertTrue(c.groupSubscriptionMirror());
        assertEquals(50, c.offsetsTopicNumPartitions());
        assertEquals(4320, c.offsetsRetentionMinutes());
        assertEquals("persistent://public/__kafka/__consumer_offsets", c.offsetsTopic().toString());
    }

    @Test
    void groupCoordinatorKeysAreReadAndNormalized() {
        KopConfig c = KopConfig.from(conf("offsetsRetentionMinutes", " 60 ", "groupInitialRebalanceDelayMs", "0",
                "groupMaxSize", "10", "kafkaGroupSubscriptionMirror", "FALSE", "kafkaMetadataTenant", "meta",
                "kafkaMetadataNamespace", "kop", "offsetsTopicNumPartitions", "3"));
        Map<String, String> m = nativeMap(c);
        assertEquals("60", m.get("offsetsRetentionMinutes"));
        assertEquals("0", m.get("groupInitialRebalanceDelayMs"));
        assertEquals("10", m.get("groupMaxSize"));
        assertEquals("false", m.get("kafkaGroupSubscriptionMirror"));
        assertFalse(c.groupSubscriptionMirror());
        assertEquals("persistent://meta/kop/__consumer_offsets", c.offsetsTopic().toString());
        assertEquals(3, c.offsetsTopicNumPartitions());
    }

    @Test
    void overridesWinInTheNativeConfiguration() {
        KopConfig c = KopConfig.from(conf("offsetsTopicNumPartitions", "3"));
        String[] kv = c.toNativeKeysAndValues(Map.of("offsetsTopicNumPartitions", "8"));
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        assertEquals("8", m.get("offsetsTopicNumPartitions"));
        assertEquals("3", nativeMap(c).get("offsetsTopicNumPartitions"));
    }

    @Test
    void invalidGroupCoordinatorSettingsNameTheKey() {
        for (String[] bad : List.of(
                new String[] {"offsetsRetentionMinutes", "-1"},
                new String[] {"offsetsRetentionMinutes", "0"},
                new String[] {"offsetsRetentionMinutes", "2147483648"},
                new String[] {"offsetsRetentionCheckIntervalMs", "-5"},
                new String[] {"offsetMetadataMaxSize", "-1"},
                new String[] {"offsetCommitTimeoutMs", "-1"},
                new String[] {"groupMinSessionTimeoutMs", "-1"},
                new String[] {"groupMaxSessionTimeoutMs", "-1"},
                new String[] {"groupMaxSessionTimeoutMs", "1000"}, // below the default minimum 6000
                new String[] {"groupInitialRebalanceDelayMs", "-3000"},
                new String[] {"groupMaxSize", "-1"},
                new String[] {"groupMaxSize", "0"},
                new String[] {"groupMaxSize", "many"},
                new String[] {"kafkaGroupSubscriptionMirror", "yes"},
                new String[] {"kafkaMetadataNamespace", "a/b"},
                new String[] {"kafkaTenant", "bad/tenant"})) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> KopConfig.from(conf(bad)), Arrays.toString(bad));
            assertTrue(e.getMessage().contains(bad[0]), e.getMessage());
        }
    }
}
