package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletionException;
import org.apache.pulsar.broker.qos.AsyncTokenBucket;
import org.apache.pulsar.broker.service.BrokerServiceException;
import org.apache.pulsar.broker.service.PublishRateLimiterImpl;
import org.apache.pulsar.common.policies.data.BacklogQuota;
import org.apache.pulsar.common.policies.data.PublishRate;
import org.junit.jupiter.api.Test;

/** The Pulsar producer policies on Kafka appends: the parts that need no running topic. */
class ProducePoliciesTest {
    private static final String TOPIC = "persistent://public/default/t";

    @Test
    void sizeIsCheckedAgainstTheTopicPolicyThenTheBroker() {
        assertNull(ProducePolicies.sizeRefusal(100, 0, 0));
        assertNull(ProducePolicies.sizeRefusal(100, 100, 100));
        ProducePolicies.Refusal topic = ProducePolicies.sizeRefusal(101, 100, 1000);
        assertEquals(KafkaErrors.MESSAGE_TOO_LARGE, topic.error());
        assertTrue(topic.message().contains("topic's maxMessageSize of 100"), topic.message());
        ProducePolicies.Refusal broker = ProducePolicies.sizeRefusal(1001, 0, 1000);
        assertEquals(KafkaErrors.MESSAGE_TOO_LARGE, broker.error());
        assertTrue(broker.message().contains("broker's maxMessageSize of 1000"), broker.message());
    }

    @Test
    void backlogPoliciesMapToKafkaCodes() {
        ProducePolicies.Refusal hold = ProducePolicies.backlogRefusal(new CompletionException(
                new BrokerServiceException.TopicBacklogQuotaExceededException(
                        BacklogQuota.RetentionPolicy.producer_request_hold)),
                BacklogQuota.BacklogQuotaType.destination_storage);
        assertEquals(KafkaErrors.THROTTLING_QUOTA_EXCEEDED, hold.error());
        assertTrue(hold.message().contains("producer_request_hold"), hold.message());
        ProducePolicies.Refusal exception = ProducePolicies.backlogRefusal(
                new BrokerServiceException.TopicBacklogQuotaExceededException(
                        BacklogQuota.RetentionPolicy.producer_exception),
                BacklogQuota.BacklogQuotaType.message_age);
        assertEquals(KafkaErrors.POLICY_VIOLATION, exception.error());
        assertTrue(exception.message().contains("message_age"), exception.message());
        assertThrows(IllegalStateException.class, () -> ProducePolicies.backlogRefusal(
                new IllegalStateException("other"), BacklogQuota.BacklogQuotaType.message_age));
    }

    @Test
    void producerSlotsCountKafkaAndPulsarProducers() {
        ProducerSlots slots = new ProducerSlots();
        Object conn1 = new Object();
        Object conn2 = new Object();
        assertTrue(slots.acquire(TOPIC, 7L, conn1, 2, () -> 0));
        assertTrue(slots.acquire(TOPIC, 7L, conn2, 2, () -> 0)); // the same producer id: one producer
        assertTrue(slots.acquire(TOPIC, 7L, conn1, 2, () -> 99)); // already counted: Pulsar's not asked
        assertEquals(1, slots.count(TOPIC));
        assertFalse(slots.acquire(TOPIC, conn2, conn2, 2, () -> 1)); // plus one Pulsar producer: full
        assertTrue(slots.acquire(TOPIC, conn2, conn2, 2, () -> 0));
        assertFalse(slots.acquire(TOPIC, 8L, conn1, 2, () -> 0));
        slots.release(conn1); // producer 7 still appends through conn2
        assertEquals(2, slots.count(TOPIC));
        slots.release(conn2);
        assertEquals(0, slots.count(TOPIC));
        assertTrue(slots.acquire(TOPIC, 8L, conn1, 1, () -> 0));
        slots.release(conn2); // nothing held: no-op
        assertEquals(1, slots.count(TOPIC));
    }

    @Test
    void aRateLimitThrottlesOnceItsTokensAreSpent() {
        PublishRateLimiterImpl limiter = new PublishRateLimiterImpl(AsyncTokenBucket.DEFAULT_SNAPSHOT_CLOCK);
        assertEquals(0, ProducePolicies.throttleNanos(limiter, 1000, 1 << 20)); // no rate set
        limiter.update(new PublishRate(10, 0));
        assertEquals(0, ProducePolicies.throttleNanos(limiter, 5, 100));
        assertTrue(ProducePolicies.throttleNanos(limiter, 50, 100) > 0);
        assertEquals(0, ProducePolicies.throttleNanos(null, 50, 100));
    }
}
