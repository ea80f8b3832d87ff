package io.kopnative;

import java.util.function.Function;

/**
 * A Kafka partition resolved to what a port call works on (its Pulsar {@code PersistentTopic}, or
 * the managed ledger a read needs), or the Kafka error code why not: exactly one of the two.
 * Failures of Pulsar's futures are mapped to an error code before they become one of these
 * ({@link PulsarPartitionLog#resolvePartition}), so callers branch on {@link #ok()} only.
 */
record Resolved<T>(T value, short error) {
    static <T> Resolved<T> of(T value) {
        return new Resolved<>(value, KafkaErrors.NONE);
    }

    static <T> Resolved<T> error(short error) {
        return new Resolved<>(null, error);
    }

    boolean ok() {
        return value != null;
    }

    /** The same outcome with {@code f} applied to the value (an error stays that error). */
    <U> Resolved<U> map(Function<? super T, ? extends U> f) {
        return ok() ? of(f.apply(value)) : error(error);
    }
}
