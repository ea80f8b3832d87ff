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
        assertTrue(ProduceService.isBeingUnloaded(new IllegalStateException(
                "Namespace bundle public/default/0x00000000_0x40000000 is being unloaded")));
        assertTrue(ProduceService.isBeingUnloaded(new IllegalStateException(
                "Namespace bundle public/default/0x00000000_0x40000000 is currently being unloaded")));
        assertFalse(ProduceService.isBeingUnloaded(new IllegalStateException("something else")));
        assertFalse(ProduceService.isBeingUnloaded(new IllegalStateException()));
        assertFalse(ProduceService.isBeingUnloaded(new RuntimeException("is being unloaded")));
    }

    @Test
    void publishFailuresMapToRetriableOrStorageErrors() {
        assertEquals(ProduceService.NOT_LEADER_OR_FOLLOWER, ProduceService.errorOf(
                new BrokerServiceException.TopicFencedException("fenced")));
        assertEquals(ProduceService.NOT_LEADER_OR_FOLLOWER, ProduceService.errorOf(new CompletionException(
                new BrokerServiceException.TopicClosedException(new RuntimeException("closed")))));
        assertEquals(ProduceService.MESSAGE_TOO_LARGE, ProduceService.errorOf(
                new BrokerServiceException.NotAllowedException("too big")));
        assertEquals(ProduceService.KAFKA_STORAGE_ERROR, ProduceService.errorOf(new RuntimeException("disk")));
    }
}
