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

    /**
     * The broker owning each partition of {@code name} ({@code partitions} of them; 0: the
     * non-partitioned topic itself) for a connection on listener {@code listenerName}: one entry
     * per partition, {@link PartitionOwners.Node#LOCAL} for this broker, null for none right now.
     * Completes with null when every partition is this broker's (no ownership to report: one
     * broker, tests). Never completes exceptionally on a broker.
     */
    default CompletableFuture<List<PartitionOwners.Node>> owners(String name, int partitions, String listenerName) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * The broker owning partition {@code partition} of {@code offsetsTopic} (a tenant's group
     * coordinator topic, full name, as the core sends it), for FindCoordinator
     * (TopicPort::LookupOffsetsOwners), as {@link #owners} answers for one partition: a one-entry
     * list ({@link PartitionOwners.Node#LOCAL}, null for none right now), or null when it is this
     * broker's. Never completes exceptionally on a broker.
     */
    default CompletableFuture<List<PartitionOwners.Node>> offsetsOwner(String offsetsTopic, int partition,
                                                                       String listenerName) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * The other brokers of the cluster that serve Kafka, as a connection on listener
     * {@code listenerName} addresses them (this broker not included). Never completes
     * exceptionally on a broker.
     */
    default CompletableFuture<List<PartitionOwners.Node>> clusterNodes(String listenerName) {
        return CompletableFuture.completedFuture(List.of());
    }

    /** Every topic of the Kafka namespace. */
    CompletableFuture<List<TopicMetadataService.TopicResult>> listAll();

    /**
     * Every topic of the namespace of {@code prefix} ("persistent://tenant/namespace/"), by local
     * name: TopicPort::ListNamespace, for a connection whose short names resolve there.
     */
    default CompletableFuture<List<TopicMetadataService.TopicResult>> listNamespace(String prefix) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no namespace listing"));
    }

    /**
     * Topic administration: {@code op} is {@link TopicMetadataService#ADMIN_CREATE} (count = partitions),
     * {@link TopicMetadataService#ADMIN_DELETE} or {@link TopicMetadataService#ADMIN_PARTITIONS} (count = the
     * new total). Completes with a Kafka error code and message, never exceptionally on a broker.
     */
    default CompletableFuture<TopicMetadataService.AdminResult> admin(int op, String name, int count) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("no topic administration"));
    }
}
