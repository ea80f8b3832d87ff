package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The mirror's ownership rule (issue 11) without a broker: only a subscription whose properties
 * carry the marker is the mirror's to move or delete, and a foreign one is reported once per
 * (partition, subscription) with bounded memory.
 */
class SubscriptionMirrorTest {
    @Test
    void onlyTheMarkerMakesASubscriptionTheMirrors() {
        assertEquals("kop-native.group-mirror", SubscriptionMirror.MARKER_KEY);
        assertTrue(SubscriptionMirror.isMirror(Map.of("kop-native.group-mirror", "true")));
        assertTrue(SubscriptionMirror.isMirror(Map.of("kop-native.group-mirror", "true", "app", "x")));
        assertFalse(SubscriptionMirror.isMirror(null), "no properties (a subscription made before the marker)");
        assertFalse(SubscriptionMirror.isMirror(Map.of()), "a Pulsar consumer's or pulsar-admin's subscription");
        assertFalse(SubscriptionMirror.isMirror(Map.of("kop-native.group-mirror", "false")));
        assertFalse(SubscriptionMirror.isMirror(Map.of("kop-native.group-mirror", "TRUE")));
        assertFalse(SubscriptionMirror.isMirror(Map.of("app", "kop-native.group-mirror")));
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("kop-native.group-mirror", null);
        assertFalse(SubscriptionMirror.isMirror(nullValue));
    }

    @Test
    void aForeignSubscriptionIsReportedOnce() {
        SubscriptionMirror.ReportedOnce reported = new SubscriptionMirror.ReportedOnce(3);
        assertTrue(reported.first("t-partition-0#app"));
        assertFalse(reported.first("t-partition-0#app"), "not on every commit");
        assertTrue(reported.first("t-partition-1#app"), "each partition once");
        assertTrue(reported.first("t-partition-0#other"), "each subscription once");
        assertFalse(reported.first("t-partition-1#app"));
    }

    @Test
    void reportedKeysAreBounded() {
        SubscriptionMirror.ReportedOnce reported = new SubscriptionMirror.ReportedOnce(2);
        assertTrue(reported.first("a"));
        assertTrue(reported.first("b"));
        assertFalse(reported.first("b"), "a known key does not evict the others");
        assertTrue(reported.first("c"), "full: forgets every key and remembers the new one");
        assertTrue(reported.first("a"), "forgotten, so reported again");
        assertFalse(reported.first("c"));
    }
}
