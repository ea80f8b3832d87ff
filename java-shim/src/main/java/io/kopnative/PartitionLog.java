package io.kopnative;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * Where {@link KafkaFrameHandler} appends the core's stored entries (the core's LogPort):
 * {@link ProduceService} on a broker, a fake in unit tests. Futures may complete on any thread;
 * the handler re-posts them onto the channel's event loop.
 */
interface PartitionLog {
    /** The outcome of one append: a Kafka error code, the base offset of the entry's first record. */
    record AppendResult(short error, long baseOffset, long logStartOffset) {
        static AppendResult error(short error) {
            return new AppendResult(error, -1L, -1L);
        }
    }

    /**
     * Appends one stored entry holding {@code numRecords} Kafka records to (topic, partition). Takes
     * ownership of {@code entry}: it is released exactly once, whatever happens. Appends to the same
     * partition are submitted to Pulsar in call order. {@code topic} is null if it was not valid UTF-8.
     */
    CompletableFuture<AppendResult> append(String topic, int partition, ByteBuf entry, int numRecords);
}
