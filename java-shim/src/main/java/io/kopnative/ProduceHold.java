package io.kopnative;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Pulsar's producer_request_hold backlog quota for Kafka producers. A Pulsar producer under that
 * policy has its send held until consumers bring the backlog under the quota or the send times out
 * (BacklogQuota.RetentionPolicy.producer_request_hold). Here the append that met the exceeded quota
 * is held the same way: its policies are checked again every {@link #RECHECK_MS} until they admit
 * it (it is then appended) or until the hold the core allows runs out (the Produce request's
 * timeout_ms less a tenth, at most 60 s; see produce.cc), when it is answered REQUEST_TIMED_OUT, a
 * retriable code. Nothing waits on a thread: each re-check is a task on a scheduled executor.
 *
 * <p>At most {@link #MAX_HELD_PER_CONNECTION} appends of one connection are held at once; past that,
 * and when the core allows no hold, the append is answered THROTTLING_QUOTA_EXCEEDED (retriable) at
 * once. A connection that closes stops its holds at the next re-check.
 */
final class ProduceHold {
    static final long RECHECK_MS = 200;
    static final int MAX_HELD_PER_CONNECTION = 64;

    private final ScheduledExecutorService timer;
    private final long recheckMs;
    private final ConcurrentHashMap<Object, AtomicInteger> held = new ConcurrentHashMap<>();

    ProduceHold(ScheduledExecutorService timer) {
        this(timer, RECHECK_MS);
    }

    ProduceHold(ScheduledExecutorService timer, long recheckMs) {
        this.timer = timer;
        this.recheckMs = recheckMs;
    }

    /** Whether a refusal is the producer_request_hold one (ProducePolicies#backlogRefusal). */
    static boolean isHold(ProducePolicies.Refusal refusal) {
        return refusal != null && refusal.error() == KafkaErrors.THROTTLING_QUOTA_EXCEEDED;
    }

    /**
     * The outcome of an append whose policies answered {@code first}: {@code first} itself unless it
     * is a hold that may wait; otherwise what {@code check} answers once it is no longer a hold, or
     * REQUEST_TIMED_OUT after {@code maxHoldMs}.
     */
    CompletableFuture<ProducePolicies.Refusal> hold(Object connection, ProducePolicies.Refusal first,
                                                    int maxHoldMs,
                                                    Supplier<CompletableFuture<ProducePolicies.Refusal>> check) {
        if (!isHold(first) || maxHoldMs <= 0 || connection == null) {
            return CompletableFuture.completedFuture(first);
        }
        AtomicInteger count = held.compute(connection, (k, c) -> {
            AtomicInteger n = c == null ? new AtomicInteger() : c;
            n.incrementAndGet();
            return n;
        });
        if (count.get() > MAX_HELD_PER_CONNECTION) {
            release(connection, count);
            return CompletableFuture.completedFuture(new ProducePolicies.Refusal(first.error(), first.message()
                    + " (this connection already has " + MAX_HELD_PER_CONNECTION + " appends held)"));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxHoldMs);
        CompletableFuture<ProducePolicies.Refusal> outcome = new CompletableFuture<>();
        // What the caller gets completes only after the release ran, so a caller that sees the
        // outcome never sees the hold still counted.
        CompletableFuture<ProducePolicies.Refusal> released =
                outcome.whenComplete((r, e) -> release(connection, count));
        recheck(connection, count, first, maxHoldMs, deadline, check, outcome);
        return released;
    }

    /** The connection closed: its holds end at their next re-check. */
    void connectionClosed(Object connection) {
        held.remove(connection);
    }

    /** Appends held now for {@code connection}. */
    int heldFor(Object connection) {
        AtomicInteger count = held.get(connection);
        return count == null ? 0 : count.get();
    }

    // Under the map's lock for the key, like the increment, so a count that drops to 0 is never
    // removed while another hold takes it.
    private void release(Object connection, AtomicInteger count) {
        held.computeIfPresent(connection, (k, c) -> c == count && c.decrementAndGet() <= 0 ? null : c);
    }

    private void recheck(Object connection, AtomicInteger count, ProducePolicies.Refusal last, int maxHoldMs,
                         long deadline, Supplier<CompletableFuture<ProducePolicies.Refusal>> check,
                         CompletableFuture<ProducePolicies.Refusal> outcome) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0 || held.get(connection) != count) {
            outcome.complete(new ProducePolicies.Refusal(KafkaErrors.REQUEST_TIMED_OUT, last.message()
                    + "; the append was held " + maxHoldMs + " ms (producer_request_hold) and timed out"));
            return;
        }
        try {
            timer.schedule(() -> {
                try {
                    check.get().whenComplete((r, e) -> {
                        if (e != null) {
                            outcome.completeExceptionally(e);
                        } else if (isHold(r)) {
                            recheck(connection, count, r, maxHoldMs, deadline, check, outcome);
                        } else {
                            outcome.complete(r);
                        }
                    });
                } catch (RuntimeException e) {
                    outcome.completeExceptionally(e);
                }
            }, Math.min(recheckMs, left), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) { // the executor shut down with the broker
            outcome.completeExceptionally(e);
        }
    }
}
