package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.common.naming.TopicName;
import org.junit.jupiter.api.Test;

/** Which offsets topics the core may ask about (per-tenant group metadata, issue 11). */
class OffsetsTopicsTest {
    private static OffsetsTopics topics(String multiTenant) {
        ServiceConfiguration conf = KopConfigTest.conf("kafkaEnableMultiTenantMetadata", multiTenant);
        return new OffsetsTopics(null, KopConfig.from(conf), null, 50);
    }

    @Test
    void everyTenantsOffsetsTopicIsOneWithPerTenantMetadata() {
        OffsetsTopics t = topics("true");
        assertTrue(t.perTenant());
        assertEquals("persistent://public/__kafka/__consumer_offsets",
                t.parse("persistent://public/__kafka/__consumer_offsets").toString());
        TopicName acme = t.parse("persistent://acme/__kafka/__consumer_offsets");
        assertEquals("acme", acme.getTenant());
        // The default tenant's topic needs no setup; another's is not ready without a broker.
        assertTrue(t.ready(t.parse("persistent://public/__kafka/__consumer_offsets")));
        assertFalse(t.ready(acme));
    }

    @Test
    void nothingElseIsAnOffsetsTopic() {
        OffsetsTopics t = topics("true");
        for (String name : new String[] {null, "", "orders", "persistent://acme/apps/__consumer_offsets",
                "persistent://acme/__kafka/orders", "non-persistent://acme/__kafka/__consumer_offsets",
                "persistent://acme/__kafka/__consumer_offsets-partition-3", "persistent://a/b/c/d/e",
                "persistent://acme/__kafka/__consumer_offsets\u0000"}) {
            assertNull(t.parse(name), String.valueOf(name));
        }
    }

    @Test
    void onlyTheMetadataTenantsWithoutPerTenantMetadata() {
        OffsetsTopics t = topics("false");
        assertFalse(t.perTenant());
        assertEquals("public", t.parse("persistent://public/__kafka/__consumer_offsets").getTenant());
        assertNull(t.parse("persistent://acme/__kafka/__consumer_offsets"));
    }
}
