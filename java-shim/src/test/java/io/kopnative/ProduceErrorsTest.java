package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletionException;
import org.apache.pulsar.broker.service.BrokerServiceException;
import org.junit.jupiter.api.Test;

/** How Pulsar's failures become Kafka error codes on the produce path. */
class ProduceErrorsTest {
    @Test
    void onlyPulsarsBundleUnloadingIsTakenForAMove() {
        assertTrue(PulsarPartitionLog.isBeingUnloaded(new IllegalStateException(
                "Namespace bundle public/default/0x00000000_0x40000000 is being unloaded")));
        assertTrue(PulsarPartitionLog.isBeingUnloaded(new IllegalStateException(
                "Namespace bundle public/default/0x00000000_0x40000000 is currently being unloaded")));
        assertFalse(PulsarPartitionLog.isBeingUnloaded(new IllegalStateException("something else")));
        assertFalse(PulsarPartitionLog.isBeingUnloaded(new IllegalStateException()));
        assertFalse(PulsarPartitionLog.isBeingUnloaded(new RuntimeException("is being unloaded")));
    }

    @Test
    void publishFailuresMapToRetriableOrStorageErrors() {
        assertEquals(KafkaErrors.NOT_LEADER_OR_FOLLOWER, PulsarPartitionLog.errorOf(
                new BrokerServiceException.TopicFencedException("fenced")));
        assertEquals(KafkaErrors.NOT_LEADER_OR_FOLLOWER, PulsarPartitionLog.errorOf(new CompletionException(
                new BrokerServiceException.TopicClosedException(new RuntimeException("closed")))));
        assertEquals(KafkaErrors.MESSAGE_TOO_LARGE, PulsarPartitionLog.errorOf(
                new BrokerServiceException.NotAllowedException("too big")));
        assertEquals(KafkaErrors.KAFKA_STORAGE_ERROR, PulsarPartitionLog.errorOf(new RuntimeException("disk")));
    }
}
