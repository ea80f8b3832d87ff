package io.kopnative;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where {@link KafkaFrameHandler} gets topic metadata for the core's TopicPort:
 * {@link TopicMetadataService} on a broker, a fake in unit tests. Futures may complete on any
 * thread; the handler re-posts them onto the channel's event loop.
 */
interface TopicSource {
    /** One result per name, in order; a null name was not valid UTF-8. */
    CompletableFuture<List<TopicMetadataService.TopicResult>> lookup(List<String> names, boolean autoCreate);

    /** Every topic of the Kafka namespace. */
    CompletableFuture<List<TopicMetadataService.TopicResult>> listAll();

    /**
     * Topic administration: {@code op} is {@link TopicMetadataService#ADMIN_CREATE} (count = partitions),
     * {@link TopicMetadataService#ADMIN_DELETE} or {@link TopicMetadataService#ADMIN_PARTITIONS} (count = the
     * new total). Completes with a Kafka error code and message, never exceptionally on a broker.
     */
    default CompletableFuture<TopicMetadataService.AdminResult> admin(int op, String name, int count) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no topic administration"));
    }
}
