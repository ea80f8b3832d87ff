package io.kopnative;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.broker.namespace.TopicExistsInfo;
import org.apache.pulsar.broker.service.BrokerService;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.naming.SystemTopicNames;
import org.apache.pulsar.common.naming.TopicDomain;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.partition.PartitionedTopicMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Topic metadata for the native core's TopicPort: resolves Kafka topic names to Pulsar topics of
 * the Kafka namespace ({@code kafkaTenant/kafkaNamespace}), auto-creating them as the broker's
 * {@code allowAutoTopicCreation*} settings allow, and lists the namespace's topics.
 *
 * <p>Everything is asynchronous on Pulsar's own futures; nothing here blocks or touches native
 * code. The returned futures complete on whatever Pulsar thread finished the work:
 * {@link KafkaFrameHandler} re-posts them onto the channel's event loop.
 */
final class TopicMetadataService implements TopicSource {
    private static final Logger log = LoggerFactory.getLogger(TopicMetadataService.class);

    static final long DEFAULT_TIMEOUT_MS = 30_000;
    static final long OWNER_TIMEOUT_MS = 10_000;

    /** One answer: partitions >= 1 partitioned, 0 non-partitioned (served as one partition). */
    record TopicResult(String name, int partitions, short error) {
        static TopicResult error(String name, short error) {
            return new TopicResult(name, 0, error);
        }
    }

    /** Operations of {@link #admin}, as the JNI bridge numbers them. */
    static final int ADMIN_CREATE = 0;
    static final int ADMIN_DELETE = 1;
    static final int ADMIN_PARTITIONS = 2;

    /** The outcome of a topic administration call: a Kafka error code and a message (null if none). */
    record AdminResult(short error, String message) {
        static final AdminResult OK = new AdminResult(KafkaErrors.NONE, null);
    }

    private final BrokerService brokerService;
    private final PulsarService pulsar;
    private final TopicNames names;
    private final NamespaceName namespace;
    private final long timeoutMs;
    private final PartitionOwners partitionOwners;
    /** Told the Kafka name of every topic created, deleted or grown here (drops partition-count caches). */
    private volatile Consumer<String> changeListener = name -> { };
    private volatile OffsetsTopics offsetsTopics;

    TopicMetadataService(BrokerService brokerService, TopicNames names, long timeoutMs) {
        this.brokerService = brokerService;
        this.pulsar = brokerService.getPulsar();
        this.names = names;
        this.namespace = names.namespace();
        this.timeoutMs = timeoutMs;
        // Shorter than the topic lookups: an owner not found in time answers LEADER_NOT_AVAILABLE
        // (or COORDINATOR_NOT_AVAILABLE), which clients retry well within their request timeout.
        this.partitionOwners = new PartitionOwners(pulsar, Math.min(timeoutMs, OWNER_TIMEOUT_MS));
    }

    /**
     * The group coordinators' topics, for {@link #offsetsOwner}. Their partitions are never Kafka
     * topics: no name lookup reaches them.
     */
    void setOffsetsTopics(OffsetsTopics topics) {
        this.offsetsTopics = topics;
    }

    /** Partition {@code p} of the offsets topic {@code topic} of {@code partitions}; null if there is none. */
    static TopicName offsetsPartition(TopicName topic, int partitions, int p) {
        return topic == null || p < 0 || p >= partitions ? null : topic.getPartition(p);
    }

    @Override
    public CompletableFuture<List<PartitionOwners.Node>> offsetsOwner(String offsetsTopic, int partition,
                                                                      String listenerName) {
        OffsetsTopics all = offsetsTopics;
        TopicName topic = all == null ? null : all.parse(offsetsTopic);
        TopicName tn = topic == null ? null : offsetsPartition(topic, all.partitions(), partition);
        if (tn == null || !all.ready(topic)) {
            // Not a partition of a coordinator's topic (or before start), or a tenant's topic still
            // being created: no broker is named, and the client asks again.
            return CompletableFuture.completedFuture(Collections.singletonList(null));
        }
        return partitionOwners.owners(tn, 0, listenerName);
    }

    @Override
    public CompletableFuture<List<PartitionOwners.Node>> owners(String name, int partitions, String listenerName) {
        TopicName tn = name == null ? null : toPulsar(name);
        if (tn == null) {
            return CompletableFuture.completedFuture(null);
        }
        return partitionOwners.owners(tn, partitions, listenerName);
    }

    @Override
    public CompletableFuture<List<PartitionOwners.Node>> clusterNodes(String listenerName) {
        return partitionOwners.clusterNodes(listenerName);
    }

    void setChangeListener(Consumer<String> listener) {
        this.changeListener = listener == null ? name -> { } : listener;
    }

    NamespaceName namespace() {
        return namespace;
    }

    /** How names map to Pulsar topics (shared with appends and reads). */
    TopicNames names() {
        return names;
    }

    private TopicName toPulsar(String kafkaName) {
        return names.toPulsar(kafkaName);
    }

    private String toKafka(TopicName tn) {
        return names.toKafka(tn);
    }

    /** One result per name, in order; a null name (not valid UTF-8) is an invalid topic. */
    @Override
    public CompletableFuture<List<TopicResult>> lookup(List<String> names, boolean autoCreate) {
        List<CompletableFuture<TopicResult>> each = new ArrayList<>(names.size());
        for (String name : names) {
            each.add(lookupOne(name, autoCreate));
        }
        return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<TopicResult> out = new ArrayList<>(each.size());
            for (CompletableFuture<TopicResult> f : each) {
                out.add(f.join());
            }
            return out;
        });
    }

    private CompletableFuture<TopicResult> lookupOne(String name, boolean autoCreate) {
        TopicName tn = toPulsar(name);
        if (tn == null) {
            return CompletableFuture.completedFuture(TopicResult.error(name, KafkaErrors.INVALID_TOPIC_EXCEPTION));
        }
        CompletableFuture<TopicResult> f;
        try {
            f = autoCreate ? lookupOrCreate(name, tn) : lookupExisting(name, tn);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).exceptionally(t -> {
            Throwable cause = unwrap(t);
            if (cause instanceof TimeoutException) {
                log.warn("kop-native: topic lookup of {} timed out after {} ms", tn, timeoutMs);
                return TopicResult.error(name, KafkaErrors.REQUEST_TIMED_OUT);
            }
            log.warn("kop-native: topic lookup of {} failed: {}", tn, cause.toString());
            return TopicResult.error(name, KafkaErrors.UNKNOWN_SERVER_ERROR);
        });
    }

    private CompletableFuture<TopicResult> lookupExisting(String name, TopicName tn) {
        return pulsar.getNamespaceService().checkTopicExists(tn).thenApply(info -> {
            try {
                return fromExists(name, info);
            } finally {
                info.recycle();
            }
        });
    }

    private static TopicResult fromExists(String name, TopicExistsInfo info) {
        if (!info.isExists()) {
            return TopicResult.error(name, KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        return new TopicResult(name, Math.max(0, info.getPartitions()), KafkaErrors.NONE);
    }

    // Partitioned auto-creation happens inside fetchPartitionedTopicMetadataCheckAllowAutoCreationAsync
    // (allowAutoTopicCreationType=partitioned, defaultNumPartitions). 0 partitions means the topic is
    // non-partitioned, or missing: then it is created non-partitioned if the broker allows it.
    private CompletableFuture<TopicResult> lookupOrCreate(String name, TopicName tn) {
        return brokerService.fetchPartitionedTopicMetadataCheckAllowAutoCreationAsync(tn).thenCompose(md -> {
            if (md != null && md.partitions > 0) {
                return CompletableFuture.completedFuture(new TopicResult(name, md.partitions, KafkaErrors.NONE));
            }
            return pulsar.getNamespaceService().checkTopicExists(tn).thenCompose(info -> {
                TopicResult found;
                try {
                    found = info.isExists() ? fromExists(name, info) : null;
                } finally {
                    info.recycle();
                }
                return found != null ? CompletableFuture.completedFuture(found) : createNonPartitioned(name, tn);
            });
        });
    }

    private CompletableFuture<TopicResult> createNonPartitioned(String name, TopicName tn) {
        return brokerService.isAllowAutoTopicCreationAsync(tn).thenCompose(allowed -> {
            if (!allowed) {
                return CompletableFuture.completedFuture(
                        TopicResult.error(name, KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION));
            }
            return brokerService.getTopic(tn.toString(), true).thenApply(topic -> topic.isPresent()
                    ? new TopicResult(name, 0, KafkaErrors.NONE)
                    : TopicResult.error(name, KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION));
        });
    }

    /**
     * Every topic of the Kafka namespace, as Kafka names: partitioned topics with their partition
     * counts, then non-partitioned persistent topics (partitions of partitioned topics and Pulsar's
     * system topics left out). Any failure fails the whole list.
     */
    @Override
    public CompletableFuture<List<TopicResult>> listAll() {
        return list(namespace);
    }

    /**
     * Every topic of the namespace of {@code prefix} ("persistent://tenant/namespace/", a
     * connection's own namespace for short names), by local name; an unparsable prefix fails.
     */
    @Override
    public CompletableFuture<List<TopicResult>> listNamespace(String prefix) {
        NamespaceName ns;
        try {
            ns = TopicName.get(prefix + "x").getNamespaceObject();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return list(ns);
    }

    // The persistent topics of `ns` (system topics and partitions left out), by local name.
    private CompletableFuture<List<TopicResult>> list(NamespaceName ns) {
        CompletableFuture<List<String>> partitioned;
        CompletableFuture<List<String>> persistent;
        try {
            partitioned = pulsar.getPulsarResources().getNamespaceResources().getPartitionedTopicResources()
                    .listPartitionedTopicsAsync(ns, TopicDomain.persistent);
            persistent = pulsar.getNamespaceService().getListOfPersistentTopics(ns);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<List<TopicResult>> out = partitioned.thenCombine(persistent, (p, np) -> {
            Map<String, TopicName> parts = new LinkedHashMap<>();
            for (String s : p) {
                TopicName tn = parseListed(ns, s);
                if (tn != null && !SystemTopicNames.isSystemTopic(tn)) {
                    parts.put(tn.toString(), tn);
                }
            }
            List<TopicName> plain = new ArrayList<>();
            for (String s : np) {
                TopicName tn = parseListed(ns, s);
                if (tn == null || tn.isPartitioned() || parts.containsKey(tn.toString())
                        || SystemTopicNames.isSystemTopic(tn)) {
                    continue;
                }
                plain.add(tn);
            }
            return Map.entry(new ArrayList<>(parts.values()), plain);
        }).thenCompose(lists -> {
            List<CompletableFuture<TopicResult>> each = new ArrayList<>();
            for (TopicName tn : lists.getKey()) {
                each.add(brokerService.fetchPartitionedTopicMetadataAsync(tn).thenApply(
                        (PartitionedTopicMetadata md) -> new TopicResult(tn.getLocalName(), Math.max(0, md.partitions),
                                KafkaErrors.NONE)));
            }
            for (TopicName tn : lists.getValue()) {
                each.add(CompletableFuture.completedFuture(new TopicResult(tn.getLocalName(), 0, KafkaErrors.NONE)));
            }
            return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
                List<TopicResult> results = new ArrayList<>(each.size());
                for (CompletableFuture<TopicResult> f : each) {
                    results.add(f.join());
                }
                return Collections.unmodifiableList(results);
            });
        });
        return out.orTimeout(timeoutMs, TimeUnit.MILLISECONDS);
    }

    private static TopicName parseListed(NamespaceName ns, String s) {
        try {
            return s.contains("://") ? TopicName.get(s)
                    : TopicName.get(TopicDomain.persistent.value(), ns, s);
        } catch (RuntimeException e) {
            log.debug("kop-native: skipping unparsable topic {}: {}", s, e.toString());
            return null;
        }
    }

    /**
     * CreateTopics / DeleteTopics / CreatePartitions through the broker's admin client (its REST API,
     * so Pulsar's own checks and policies apply). Never completes exceptionally; never blocks the
     * calling thread (the admin client is fetched on Pulsar's executor, its calls are asynchronous).
     */
    @Override
    public CompletableFuture<AdminResult> admin(int op, String name, int count) {
        TopicName tn = toPulsar(name);
        if (tn == null) {
            return CompletableFuture.completedFuture(new AdminResult(KafkaErrors.INVALID_TOPIC_EXCEPTION,
                    "invalid topic name: " + name));
        }
        if ((op == ADMIN_CREATE || op == ADMIN_PARTITIONS) && count < 1) {
            return CompletableFuture.completedFuture(new AdminResult(KafkaErrors.INVALID_PARTITIONS,
                    "the number of partitions must be at least 1, not " + count));
        }
        if (op != ADMIN_CREATE && op != ADMIN_DELETE && op != ADMIN_PARTITIONS) {
            return CompletableFuture.completedFuture(
                    new AdminResult(KafkaErrors.UNKNOWN_SERVER_ERROR, "unknown operation " + op));
        }
        String full = tn.toString();
        CompletableFuture<Void> f;
        try {
            f = adminClient(pulsar).thenCompose(admin -> run(admin, op, tn, full, count));
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).handle((v, t) -> {
            if (t == null) {
                changed(name, tn);
                return AdminResult.OK;
            }
            AdminResult r = adminError(op, tn, unwrap(t));
            if (r.error() == KafkaErrors.TOPIC_ALREADY_EXISTS || r.error() == KafkaErrors.INVALID_PARTITIONS) {
                log.debug("kop-native: {} of {} refused: {}", opName(op), full, r.message());
            } else {
                log.warn("kop-native: {} of {} failed: {}", opName(op), full, r.message());
            }
            changed(name, tn); // whatever happened, cached counts may be stale now
            return r;
        });
    }

    private CompletableFuture<Void> run(PulsarAdmin admin, int op, TopicName tn, String full, int count) {
        switch (op) {
            case ADMIN_CREATE:
                return admin.topics().createPartitionedTopicAsync(full, count);
            case ADMIN_PARTITIONS:
                return admin.topics().updatePartitionedTopicAsync(full, count);
            default:
                // A partitioned topic goes with its partitions; a non-partitioned one is a plain topic.
                return brokerService.fetchPartitionedTopicMetadataAsync(tn).thenCompose(md ->
                        md != null && md.partitions > 0 ? admin.topics().deletePartitionedTopicAsync(full, true)
                                : admin.topics().deleteAsync(full, true));
        }
    }

    private void changed(String name, TopicName tn) {
        try {
            changeListener.accept(name);
            String shortName = toKafka(tn);
            if (!shortName.equals(name)) {
                changeListener.accept(shortName);
            }
            if (!tn.toString().equals(name)) {
                changeListener.accept(tn.toString());
            }
        } catch (RuntimeException e) {
            log.warn("kop-native: dropping cached metadata of {} failed: {}", tn, e.toString());
        }
    }

    private static String opName(int op) {
        return op == ADMIN_CREATE ? "creating" : op == ADMIN_DELETE ? "deleting" : "adding partitions to";
    }

    private static AdminResult adminError(int op, TopicName tn, Throwable cause) {
        String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        if (cause instanceof TimeoutException) {
            return new AdminResult(KafkaErrors.REQUEST_TIMED_OUT, "timed out");
        }
        int status = cause instanceof PulsarAdminException pae ? pae.getStatusCode() : -1;
        if (cause instanceof PulsarAdminException.NotAuthorizedException || status == 401 || status == 403) {
            return new AdminResult(KafkaErrors.TOPIC_AUTHORIZATION_FAILED, message);
        }
        if (cause instanceof PulsarAdminException.NotFoundException || status == 404) {
            return new AdminResult(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION, "topic " + tn + " does not exist");
        }
        if (op == ADMIN_CREATE && (cause instanceof PulsarAdminException.ConflictException || status == 409)) {
            return new AdminResult(KafkaErrors.TOPIC_ALREADY_EXISTS, "topic " + tn.getLocalName() + " already exists");
        }
        if (op == ADMIN_PARTITIONS && (cause instanceof PulsarAdminException.PreconditionFailedException
                || status == 412 || status == 400)) {
            return new AdminResult(KafkaErrors.INVALID_PARTITIONS, message);
        }
        return new AdminResult(KafkaErrors.UNKNOWN_SERVER_ERROR, message);
    }

    /**
     * The broker's Pulsar admin client, got on the broker's executor: the first call creates it
     * and may block, which a caller on a Netty or metadata thread must not.
     */
    static CompletableFuture<PulsarAdmin> adminClient(PulsarService pulsar) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return pulsar.getAdminClient();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, pulsar.getExecutor());
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
