package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pulsar.common.naming.TopicName;
import org.junit.jupiter.api.Test;

class TopicNamesTest {
    final TopicNames names = new TopicNames("public", "default");

    @Test
    void shortNamesLiveInTheKafkaNamespace() {
        assertEquals("persistent://public/default/orders", names.toPulsar("orders").toString());
        assertEquals("persistent://kt/kns/orders", new TopicNames("kt", "kns").toPulsar("orders").toString());
        assertEquals("orders", names.toKafka(names.toPulsar("orders")));
    }

    @Test
    void fullNamesAreUsedAsIs() {
        String offsets = "persistent://public/__kafka/__consumer_offsets";
        TopicName tn = names.toPulsar(offsets);
        assertEquals(offsets, tn.toString());
        assertEquals(offsets, names.toKafka(tn), "outside the Kafka namespace the core keeps the full name");
        assertEquals(offsets + "-partition-7", TopicNames.partition(tn, 7, 50).toString());
        assertEquals("persistent://public/default/orders", names.toPulsar("persistent://public/default/orders")
                .toString());
        assertEquals("orders", names.toKafka(names.toPulsar("persistent://public/default/orders")));
    }

    @Test
    void aClientsFullNameOfAnotherTenantPassesThroughUnchanged() {
        // The core hands a Kafka client's persistent://tenant/namespace/topic on as it was named (issue 11).
        for (String full : new String[] {"persistent://tenantB/ns1/orders", "persistent://t-1/ns=a:b.c/_schemas"}) {
            TopicName tn = names.toPulsar(full);
            assertEquals(full, tn.toString());
            assertEquals(full, names.toKafka(tn));
            assertEquals(full + "-partition-2", TopicNames.partition(tn, 2, 3).toString());
            assertTrue(TopicNames.isTopicOrPartitionOf(full + "-partition-2", tn));
        }
    }

    @Test
    void partitionsOfPartitionedAndNonPartitionedTopics() {
        TopicName base = names.toPulsar("orders");
        assertEquals("persistent://public/default/orders-partition-0", TopicNames.partition(base, 0, 3).toString());
        assertEquals("persistent://public/default/orders-partition-2", TopicNames.partition(base, 2, 3).toString());
        assertEquals(base, TopicNames.partition(base, 0, 0), "a non-partitioned topic is its own partition 0");
    }

    @Test
    void namesThatCannotBeTopicsAreRefused() {
        for (String bad : new String[] {null, "", "a/b", "tenant/ns/t", "x://y", "orders-partition-1",
                "persistent://public/default/orders-partition-1", "non-persistent://public/default/orders",
                "persistent://public/default/", "persistent://only-tenant/t"}) {
            assertNull(names.toPulsar(bad), String.valueOf(bad));
        }
    }

    @Test
    void topicOrPartitionMatchesTheTopicAndItsPartitionsOnly() {
        TopicName base = names.toPulsar("orders");
        assertTrue(TopicNames.isTopicOrPartitionOf("persistent://public/default/orders", base));
        assertTrue(TopicNames.isTopicOrPartitionOf("persistent://public/default/orders-partition-12", base));
        assertFalse(TopicNames.isTopicOrPartitionOf("persistent://public/default/orders2", base));
        assertFalse(TopicNames.isTopicOrPartitionOf("persistent://public/default/order", base));
    }

    @Test
    void offsetsPartitionOwnersAreLookedUpByNumberOnly() {
        TopicName offsets = TopicName.get("persistent://public/__kafka/__consumer_offsets");
        // FindCoordinator asks for the owner of exactly the partition a group lives in, by number.
        assertEquals(offsets + "-partition-31", TopicMetadataService.offsetsPartition(offsets, 50, 31).toString());
        assertEquals(offsets + "-partition-0", TopicMetadataService.offsetsPartition(offsets, 50, 0).toString());
        for (int p : new int[] {-1, 50, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            assertNull(TopicMetadataService.offsetsPartition(offsets, 50, p), String.valueOf(p));
        }
        assertNull(TopicMetadataService.offsetsPartition(null, 50, 1), "before start");
        // Its partitions are never Kafka topics: a name lookup of one is refused.
        assertNull(names.toPulsar(offsets + "-partition-0"));
    }
}
