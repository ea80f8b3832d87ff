package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** producer_request_hold for Kafka appends: held, re-checked, released or timed out, bounded. */
class ProduceHoldTest {
    private static final ProducePolicies.Refusal HOLD = new ProducePolicies.Refusal(
            KafkaErrors.THROTTLING_QUOTA_EXCEEDED, "the topic's backlog quota is exceeded");
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final ProduceHold holds = new ProduceHold(timer, 20);
    private final Object connection = new Object();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void anAppendNotHeldIsAnsweredAtOnce() {
        ProducePolicies.Refusal other = new ProducePolicies.Refusal(KafkaErrors.POLICY_VIOLATION, "no");
        assertSame(other, holds.hold(connection, other, 1000, () -> null).join());
        assertNull(holds.hold(connection, null, 1000, () -> null).join());
        // No hold allowed (timeout_ms 0): THROTTLING_QUOTA_EXCEEDED at once, as before.
        assertSame(HOLD, holds.hold(connection, HOLD, 0, () -> null).join());
    }

    @Test
    void aHeldAppendGoesOnOnceTheQuotaClears() {
        AtomicInteger checks = new AtomicInteger();
        long start = System.nanoTime();
        ProducePolicies.Refusal r = holds.hold(connection, HOLD, 10_000,
                () -> CompletableFuture.completedFuture(checks.incrementAndGet() < 3 ? HOLD : null)).join();
        assertNull(r);
        assertEquals(3, checks.get());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) >= 50);
        assertEquals(0, holds.heldFor(connection));
    }

    @Test
    void aHoldThatNeverClearsTimesOut() {
        long start = System.nanoTime();
        ProducePolicies.Refusal r = holds.hold(connection, HOLD, 150,
                () -> CompletableFuture.completedFuture(HOLD)).join();
        assertEquals(KafkaErrors.REQUEST_TIMED_OUT, r.error());
        assertTrue(r.message().contains("held 150 ms"), r.message());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) >= 140);
        assertEquals(0, holds.heldFor(connection));
    }

    @Test
    void aConnectionHoldsAtMostItsBound() {
        CompletableFuture<ProducePolicies.Refusal> never = new CompletableFuture<>();
        List<CompletableFuture<ProducePolicies.Refusal>> held = new ArrayList<>();
        for (int i = 0; i < ProduceHold.MAX_HELD_PER_CONNECTION; i++) {
            held.add(holds.hold(connection, HOLD, 60_000, () -> never));
        }
        assertEquals(ProduceHold.MAX_HELD_PER_CONNECTION, holds.heldFor(connection));
        ProducePolicies.Refusal over = holds.hold(connection, HOLD, 60_000, () -> never).join();
        assertEquals(KafkaErrors.THROTTLING_QUOTA_EXCEEDED, over.error());
        assertTrue(over.message().contains("already has"), over.message());
        assertFalse(held.get(0).isDone());
        // Another connection is not affected.
        Object other = new Object();
        CompletableFuture<ProducePolicies.Refusal> elsewhere = holds.hold(other, HOLD, 60_000,
                () -> CompletableFuture.completedFuture(null));
        assertNull(elsewhere.join());
    }

    @Test
    void closingTheConnectionEndsItsHolds() {
        CompletableFuture<ProducePolicies.Refusal> r = holds.hold(connection, HOLD, 60_000,
                () -> CompletableFuture.completedFuture(HOLD));
        holds.connectionClosed(connection);
        assertEquals(KafkaErrors.REQUEST_TIMED_OUT, r.orTimeout(5, TimeUnit.SECONDS).join().error());
        assertEquals(0, holds.heldFor(connection));
    }
}
