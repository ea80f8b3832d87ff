package io.kopnative;

import static io.kopnative.KopConfigTest.conf;
import static io.kopnative.KopConfigTest.nativeMap;
import static io.kopnative.ListenerPolicy.Decision.OPEN;
import static io.kopnative.ListenerPolicy.Decision.OPEN_UNAUTHENTICATED;
import static io.kopnative.ListenerPolicy.Decision.REFUSE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.junit.jupiter.api.Test;

/** Issue 11, no side door: which Kafka listeners open when Pulsar authentication is on. */
class ListenerPolicyTest {
    private static ServiceConfiguration authConf(boolean authenticationEnabled, String... keysAndValues) {
        ServiceConfiguration conf = conf(keysAndValues);
        conf.setAuthenticationEnabled(authenticationEnabled);
        return conf;
    }

    @Test
    void onlySaslAndRequiredClientCertificatesAuthenticate() {
        assertFalse(ListenerPolicy.authenticatesClients("PLAINTEXT", "required"));
        assertTrue(ListenerPolicy.authenticatesClients("SASL_PLAINTEXT", "none"));
        assertTrue(ListenerPolicy.authenticatesClients("SASL_SSL", "none"));
        assertTrue(ListenerPolicy.authenticatesClients("SSL", "required"));
        assertTrue(ListenerPolicy.authenticatesClients("SSL", " REQUIRED "));
        assertFalse(ListenerPolicy.authenticatesClients("SSL", "requested"));
        assertFalse(ListenerPolicy.authenticatesClients("SSL", "none"));
        assertFalse(ListenerPolicy.authenticatesClients("SSL", null));
        assertFalse(ListenerPolicy.authenticatesClients("SOMETHING_ELSE", "required"));
    }

    @Test
    void decisionForEveryCombination() {
        // {protocol, ssl client auth, authenticates}
        List<String[]> kinds = List.of(
                new String[] {"PLAINTEXT", "none", "false"},
                new String[] {"SSL", "none", "false"},
                new String[] {"SSL", "requested", "false"},
                new String[] {"SSL", "required", "true"},
                new String[] {"SASL_PLAINTEXT", "none", "true"},
                new String[] {"SASL_SSL", "none", "true"});
        for (String[] k : kinds) {
            boolean authenticates = Boolean.parseBoolean(k[2]);
            for (boolean allow : new boolean[] {false, true}) {
                String what = String.join("/", k) + " allow=" + allow;
                // Pulsar authentication off: nothing changes, whatever the listener or the override.
                assertEquals(OPEN, ListenerPolicy.decide(false, allow, k[0], k[1]), what);
                ListenerPolicy.Decision expected = authenticates ? OPEN : allow ? OPEN_UNAUTHENTICATED : REFUSE;
                assertEquals(expected, ListenerPolicy.decide(true, allow, k[0], k[1]), what);
            }
        }
    }

    @Test
    void messagesNameTheListenerTheReasonAndTheKey() {
        Listener l = new Listener("PLAINTEXT", "PLAINTEXT", "127.0.0.1", 9092);
        String refusal = ListenerPolicy.refusal(l);
        assertTrue(refusal.contains("PLAINTEXT://127.0.0.1:9092"), refusal);
        assertTrue(refusal.contains("authenticationEnabled=true"), refusal);
        assertTrue(refusal.contains("does not authenticate clients"), refusal);
        assertTrue(refusal.contains("kafkaAllowUnauthenticatedListeners=true"), refusal);
        String warning = ListenerPolicy.warning(l);
        assertTrue(warning.contains("PLAINTEXT://127.0.0.1:9092"), warning);
        assertTrue(warning.contains("accepts unauthenticated Kafka clients although Pulsar authentication is on"),
                warning);
        assertTrue(warning.contains("kafkaAllowUnauthenticatedListeners=true"), warning);
    }

    @Test
    void authenticationOffChangesNothing() {
        for (String allow : new String[] {"false", "true"}) {
            KopConfig c = KopConfig.from(authConf(false, "kafkaAllowUnauthenticatedListeners", allow));
            assertEquals(List.of("PLAINTEXT://127.0.0.1:9092"), c.listeners().stream().map(Listener::toString)
                    .toList());
            assertTrue(c.refusedListeners().isEmpty());
            assertTrue(c.unauthenticatedListeners().isEmpty());
            assertEquals("PLAINTEXT://127.0.0.1:9092", c.advertisedListenersText());
        }
    }

    @Test
    void authenticationOnRefusesPlaintextListenersAndAdvertisesNone() {
        KopConfig c = KopConfig.from(authConf(true,
                "kafkaListeners", "internal://127.0.0.1:9092,external://127.0.0.1:19092",
                "kafkaAdvertisedListeners", "internal://10.0.0.1:9092,external://kafka.example:19092",
                "kafkaProtocolMap", "internal:PLAINTEXT,external:PLAINTEXT"));
        assertTrue(c.listeners().isEmpty());
        assertEquals(List.of("INTERNAL", "EXTERNAL"), c.refusedListeners().stream().map(Listener::name).toList());
        assertTrue(c.unauthenticatedListeners().isEmpty());
        assertEquals("", c.advertisedListenersText());
        // The core still gets an endpoint of its own (it serves no client).
        assertEquals("10.0.0.1", nativeMap(c).get("kop.advertised.host"));
        assertEquals("false", nativeMap(c).get("kafkaAllowUnauthenticatedListeners"));
    }

    @Test
    void overrideOpensThemAndListsThemForTheWarning() {
        KopConfig c = KopConfig.from(authConf(true, "kafkaAllowUnauthenticatedListeners", " TRUE "));
        assertEquals(List.of("PLAINTEXT://127.0.0.1:9092"), c.listeners().stream().map(Listener::toString).toList());
        assertEquals(c.listeners(), c.unauthenticatedListeners());
        assertTrue(c.refusedListeners().isEmpty());
        assertEquals("PLAINTEXT://127.0.0.1:9092", c.advertisedListenersText());
        assertEquals("true", nativeMap(c).get("kafkaAllowUnauthenticatedListeners"));
    }

    @Test
    void overrideKeyDefaultsToFalseAndMustBeABoolean() {
        assertEquals("false", nativeMap(KopConfig.from(conf())).get("kafkaAllowUnauthenticatedListeners"));
        assertEquals("false", nativeMap(KopConfig.from(conf("kafkaAllowUnauthenticatedListeners", "false")))
                .get("kafkaAllowUnauthenticatedListeners"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KopConfig.from(conf("kafkaAllowUnauthenticatedListeners", "yes")));
        assertTrue(e.getMessage().contains("kafkaAllowUnauthenticatedListeners"), e.getMessage());
    }
}
