package io.kopnative;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.broker.qos.AsyncTokenBucket;
import org.apache.pulsar.broker.service.BrokerServiceException;
import org.apache.pulsar.broker.service.PublishRateLimiter;
import org.apache.pulsar.broker.service.PublishRateLimiterImpl;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;
import org.apache.pulsar.common.policies.data.BacklogQuota;

/**
 * The Pulsar policies a Pulsar producer obeys, applied to each Kafka producer's append before
 * {@link PulsarPartitionLog} publishes it. Pulsar checks them in ServerCnx.handleProducer (backlog
 * quota, schema, maxProducersPerTopic), its frame decoder and PersistentTopic.publishMessage
 * (message size) and Producer.publishMessage (the publish rate limiters). A Kafka producer has no
 * "create producer" step, so the producer-creation checks run on every append, on values Pulsar
 * keeps cached on the topic (its HierarchyTopicPolicies): no metadata store read per request. The
 * one look-up, whether a topic has a schema, is made only for topics that enforce schema
 * validation and is cached for {@link #SCHEMA_TTL_NANOS}. docs/security.md lists the answers.
 */
final class ProducePolicies {
    /** A refused append: the Kafka error code and why (the partition's error_message). */
    record Refusal(short error, String message) {
    }

    /** Producer id of the broker's own appends (group metadata): no producer policy applies. */
    static final long BROKER_APPEND = -2L;
    static final long SCHEMA_TTL_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final int MAX_CACHED_SCHEMAS = 10_000;
    /** Pulsar's message, ServerCnx's IncompatibleSchemaException for a producer without a schema. */
    static final String SCHEMA_REFUSED = "Producers cannot connect or send message without a schema to topics "
            + "with a schema if SchemaValidationEnforced is enabled (Kafka records carry no Pulsar schema)";

    private final int brokerMaxMessageSize;
    private final boolean brokerSchemaValidationEnforced;
    private final ProducerSlots slots = new ProducerSlots();
    private final ConcurrentHashMap<String, SchemaLookup> schemas = new ConcurrentHashMap<>();

    private record SchemaLookup(CompletableFuture<Boolean> hasSchema, long atNanos) {
    }

    /** broker.conf's {@code maxMessageSize} and {@code isSchemaValidationEnforced}. */
    ProducePolicies(int brokerMaxMessageSize, boolean brokerSchemaValidationEnforced) {
        this.brokerMaxMessageSize = brokerMaxMessageSize;
        this.brokerSchemaValidationEnforced = brokerSchemaValidationEnforced;
    }

    /**
     * Whether producer {@code producerId} (-1: a plain producer, counted per {@code connection})
     * may append an entry of {@code entryBytes} to {@code topic}: null when it may, else the
     * refusal. Completes at once unless a schema or message-age backlog look-up is needed.
     */
    CompletableFuture<Refusal> check(PersistentTopic topic, Object connection, long producerId, int entryBytes) {
        Integer topicMax = topic.getHierarchyTopicPolicies().getTopicMaxMessageSize().get();
        Refusal refusal = sizeRefusal(entryBytes, topicMax == null ? 0 : topicMax, brokerMaxMessageSize);
        if (refusal != null) {
            return CompletableFuture.completedFuture(refusal);
        }
        // The producer slot last: a producer refused for another reason takes none (as in Pulsar,
        // where a producer that failed to be created is not counted).
        return backlog(topic, BacklogQuota.BacklogQuotaType.destination_storage)
                .thenCompose(r -> r != null ? CompletableFuture.completedFuture(r)
                        : backlog(topic, BacklogQuota.BacklogQuotaType.message_age))
                .thenCompose(r -> r != null ? CompletableFuture.completedFuture(r) : schema(topic))
                .thenApply(r -> {
                    if (r != null) {
                        return r;
                    }
                    Integer max = topic.getHierarchyTopicPolicies().getMaxProducersPerTopic().get();
                    return producerRefusal(topic, connection, producerId, max == null ? 0 : max);
                });
    }

    /** The connection closed: its producers' maxProducersPerTopic slots are given back. */
    void connectionClosed(Object connection) {
        slots.release(connection);
    }

    ProducerSlots slots() {
        return slots;
    }

    /**
     * After an admitted append: takes {@code numRecords} and {@code bytes} from the topic's and the
     * broker's publish rate limiters, as Producer.publishMessage does (topic.incrementPublishCount).
     * Pulsar then pauses the producer's connection until the buckets refill; the answer here is
     * that pause in milliseconds (0: none), which the connection applies and reports as Kafka's
     * throttle_time_ms. The append itself is not refused, as in Pulsar.
     */
    static int throttleMs(PersistentTopic topic, int numRecords, long bytes) {
        long nanos = Math.max(throttleNanos(topic.getTopicPublishRateLimiter(), numRecords, bytes),
                throttleNanos(topic.getBrokerPublishRateLimiter(), numRecords, bytes));
        return nanos <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, Math.max(1L, TimeUnit.NANOSECONDS.toMillis(nanos)));
    }

    /** One limiter's pause in nanoseconds after taking the tokens; 0 when it has tokens left. */
    static long throttleNanos(PublishRateLimiter limiter, int numRecords, long bytes) {
        if (!(limiter instanceof PublishRateLimiterImpl impl)) {
            return 0;
        }
        return Math.max(take(impl.getTokenBucketOnMessage(), numRecords), take(impl.getTokenBucketOnByte(), bytes));
    }

    private static long take(AsyncTokenBucket bucket, long tokens) {
        if (bucket == null || bucket.consumeTokensAndCheckIfContainsTokens(tokens)) {
            return 0;
        }
        return bucket.calculateThrottlingDuration();
    }

    /** MESSAGE_TOO_LARGE past the topic's maxMessageSize policy (when > 0) or broker.conf's. */
    static Refusal sizeRefusal(int entryBytes, int topicMax, int brokerMax) {
        if (topicMax > 0 && entryBytes > topicMax) {
            return new Refusal(KafkaErrors.MESSAGE_TOO_LARGE, "the batch takes " + entryBytes
                    + " bytes as a Pulsar entry, over the topic's maxMessageSize of " + topicMax);
        }
        if (brokerMax > 0 && entryBytes > brokerMax) {
            return new Refusal(KafkaErrors.MESSAGE_TOO_LARGE, "the batch takes " + entryBytes
                    + " bytes as a Pulsar entry, over the broker's maxMessageSize of " + brokerMax);
        }
        return null;
    }

    // maxProducersPerTopic (topic, namespace or broker value): Kafka producers and the topic's
    // Pulsar producers together, as AbstractTopic.isProducersExceeded counts.
    private Refusal producerRefusal(PersistentTopic topic, Object connection, long producerId, int max) {
        if (max <= 0) {
            return null;
        }
        Object key = producerId >= 0 ? Long.valueOf(producerId) : connection;
        if (slots.acquire(topic.getName(), key, connection, max, () -> topic.getProducers().size())) {
            return null;
        }
        return new Refusal(KafkaErrors.POLICY_VIOLATION,
                "the topic already has its maxProducersPerTopic of " + max + " producers");
    }

    // Pulsar's own check (PersistentTopic.checkBacklogQuotaExceeded): it fails only for the
    // producer_request_hold and producer_exception policies.
    private static CompletableFuture<Refusal> backlog(PersistentTopic topic, BacklogQuota.BacklogQuotaType type) {
        return topic.checkBacklogQuotaExceeded(PulsarPartitionLog.PRODUCER_NAME, type)
                .handle((v, e) -> e == null ? null : backlogRefusal(e, type));
    }

    /** The Kafka answer to Pulsar's TopicBacklogQuotaExceededException; other failures are thrown on. */
    static Refusal backlogRefusal(Throwable failure, BacklogQuota.BacklogQuotaType type) {
        Throwable cause = TopicMetadataService.unwrap(failure);
        if (!(cause instanceof BrokerServiceException.TopicBacklogQuotaExceededException quota)) {
            throw failure instanceof RuntimeException re ? re : new IllegalStateException(failure);
        }
        String why = "the topic's backlog quota (" + type + ", policy " + quota.getRetentionPolicy()
                + ") is exceeded";
        if (quota.getRetentionPolicy() == BacklogQuota.RetentionPolicy.producer_request_hold) {
            // Pulsar holds the producer until consumers catch up: ProduceHold holds the append on
            // this answer, and answers it itself only when no hold is allowed.
            return new Refusal(KafkaErrors.THROTTLING_QUOTA_EXCEEDED, why + ": retry once consumers catch up");
        }
        return new Refusal(KafkaErrors.POLICY_VIOLATION, why);
    }

    // ServerCnx refuses a producer without a schema on a topic with one when schema validation is
    // enforced (broker.conf isSchemaValidationEnforced, or the namespace/topic policy).
    private CompletableFuture<Refusal> schema(PersistentTopic topic) {
        if (!brokerSchemaValidationEnforced && !topic.getSchemaValidationEnforced()) {
            return CompletableFuture.completedFuture(null);
        }
        return hasSchema(topic).thenApply(has -> has ? new Refusal(KafkaErrors.INVALID_RECORD, SCHEMA_REFUSED) : null);
    }

    private CompletableFuture<Boolean> hasSchema(PersistentTopic topic) {
        String name = topic.getName();
        long now = System.nanoTime();
        SchemaLookup cached = schemas.get(name);
        if (cached != null && now - cached.atNanos() < SCHEMA_TTL_NANOS
                && !cached.hasSchema().isCompletedExceptionally()) {
            return cached.hasSchema();
        }
        if (schemas.size() >= MAX_CACHED_SCHEMAS) {
            schemas.clear();
        }
        CompletableFuture<Boolean> lookup = topic.hasSchema();
        schemas.put(name, new SchemaLookup(lookup, now));
        return lookup;
    }
}
