package io.kopnative;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * Where {@link KafkaFrameHandler} appends the core's stored entries (the core's LogPort):
 * {@link PulsarPartitionLog} on a broker, a fake in unit tests. Futures may complete on any thread;
 * the handler re-posts them onto the channel's event loop.
 */
interface PartitionLog {
    /**
     * The outcome of one append: a Kafka error code, the base offset of the entry's first record;
     * why it was refused (null: no message) and how long a publish rate limit pauses the
     * connection, in ms (Kafka's throttle_time_ms).
     */
    record AppendResult(short error, long baseOffset, long logStartOffset, String message, int throttleTimeMs) {
        AppendResult(short error, long baseOffset, long logStartOffset) {
            this(error, baseOffset, logStartOffset, null, 0);
        }

        static AppendResult error(short error) {
            return new AppendResult(error, -1L, -1L);
        }

        static AppendResult refused(short error, String message) {
            return new AppendResult(error, -1L, -1L, message, 0);
        }
    }

    /**
     * Appends one stored entry holding {@code numRecords} Kafka records to (topic, partition). Takes
     * ownership of {@code entry}: it is released exactly once, whatever happens. Appends to the same
     * partition are submitted to Pulsar in call order. {@code topic} is null if it was not valid UTF-8.
     */
    CompletableFuture<AppendResult> append(String topic, int partition, ByteBuf entry, int numRecords);

    /**
     * {@link #append} for a Kafka producer on {@code connection}: {@code producerId} is the batch's
     * (>= 0 idempotent, -1 plain), or {@link ProducePolicies#BROKER_APPEND} for the broker's own
     * appends. The Pulsar log checks the producer policies (docs/security.md) on it; an exceeded
     * producer_request_hold backlog quota holds it up to {@code maxHoldMs} (0: refused at once).
     */
    default CompletableFuture<AppendResult> append(Object connection, long producerId, int maxHoldMs, String topic,
                                                   int partition, ByteBuf entry, int numRecords) {
        return append(topic, partition, entry, numRecords);
    }

    /** {@code connection} closed: whatever was counted for its producers is given back. */
    default void connectionClosed(Object connection) {
    }

    /**
     * The outcome of one read: a Kafka error code, the log start and end offsets, and the stored
     * entries (broker entry metadata included) concatenated in {@code data}, a direct buffer (null
     * when there are none) that the receiver releases, {@code lengths[i]} bytes each.
     */
    record ReadResult(short error, long logStartOffset, long logEndOffset, ByteBuf data, int[] lengths) {
        static ReadResult error(short error) {
            return new ReadResult(error, -1L, -1L, null, new int[0]);
        }

        static ReadResult offsets(long logStartOffset, long logEndOffset) {
            return new ReadResult((short) 0, logStartOffset, logEndOffset, null, new int[0]);
        }
    }

    /**
     * Reads the stored entries of (topic, partition) from the one holding {@code offset}, up to
     * {@code maxBytes} (at least one entry when there is one); at the log end with
     * {@code maxWaitMs} > 0, waits that long for an append. {@code maxBytes} == 0: offsets only.
     * {@code topic} is null if it was not valid UTF-8. Called on the connection's event loop with
     * the connection's read cursors, which the read may continue on and leaves cached there.
     */
    default CompletableFuture<ReadResult> read(ReadCursors cursors, String topic, int partition, long offset,
                                               int maxBytes, int maxWaitMs) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no reads"));
    }

    /**
     * Moves the durable Pulsar subscription {@code name} of (topic, partition), created if missing,
     * so that every entry wholly below {@code offset} is acknowledged. Completes with a Kafka error
     * code (0 on success). {@code topic} or {@code name} is null if it was not valid UTF-8.
     */
    default CompletableFuture<Short> commitSubscription(String topic, int partition, String name, long offset) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no subscriptions"));
    }

    /** Deletes subscription {@code name} of (topic, partition); a missing one is success (0). */
    default CompletableFuture<Short> deleteSubscription(String topic, int partition, String name) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no subscriptions"));
    }
}
