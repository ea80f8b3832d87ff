package io.kopnative;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.broker.namespace.LookupOptions;
import org.apache.pulsar.broker.namespace.NamespaceService;
import org.apache.pulsar.broker.service.BrokerService;
import org.apache.pulsar.broker.service.BrokerServiceException;
import org.apache.pulsar.broker.service.Topic;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;
import org.apache.pulsar.common.api.proto.BrokerEntryMetadata;
import org.apache.pulsar.common.naming.NamespaceBundle;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.protocol.Commands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core's whole LogPort on a Pulsar broker, the Pulsar implementation of {@link PartitionLog}:
 * appends (here), reads ({@link PartitionReader}) and the subscription mirror
 * ({@link SubscriptionMirror}), which all resolve a Kafka partition the same way
 * ({@link #resolvePartition}).
 *
 * <p>Appends: the core's entries (already in Pulsar's stored
 * format) to the partition's {@link PersistentTopic} with {@code publishMessage}. The Kafka offset
 * is the broker entry metadata index (AppendIndexMetadataInterceptor, required by the handler):
 * base offset = index - (numRecords - 1).
 *
 * <p>Nothing here blocks: topic resolution runs on Pulsar's futures (completed at once for a
 * loaded topic with a cached partition count), publishing hands the entry to the managed ledger.
 * Appends to one partition are handed to Pulsar in call order, even while an earlier one still
 * waits for its topic.
 */
final class PulsarPartitionLog implements PartitionLog {
    private static final Logger log = LoggerFactory.getLogger(PulsarPartitionLog.class);

    /** Fixed producer name: publishMessage's deduplication check needs a non-null one. */
    static final String PRODUCER_NAME = "kafka-producer";

    private final BrokerService brokerService;
    private final PulsarService pulsar;
    private final TopicNames names;
    private final long timeoutMs;
    /** Partition counts of Kafka topics (0 = non-partitioned); refreshed when a partition is past it. */
    private final ConcurrentHashMap<String, Integer> partitionCounts = new ConcurrentHashMap<>();
    /** Per partition: completes once the latest append was handed to Pulsar (keeps call order). */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    /**
     * Sequence ids for deduplication-enabled namespaces: increasing within the process and, being
     * seeded from the clock (x1000), normally across restarts too.
     */
    private final AtomicLong sequenceIds = new AtomicLong(System.currentTimeMillis() * 1000L);
    private final AtomicBoolean missingIndexLogged = new AtomicBoolean();
    /** Pulsar topic -> records of our appends issued and not yet completed. */
    private final ConcurrentHashMap<String, AtomicLong> inFlight = new ConcurrentHashMap<>();

    long pendingRecords(String pulsarTopic) {
        AtomicLong n = inFlight.get(pulsarTopic);
        return n == null ? 0L : n.get();
    }
    private final PartitionReader reader;
    private final SubscriptionMirror mirror;
    private final ProducePolicies policies;
    private final ProduceHold holds;

    /** A Kafka partition as the core names it. */
    record KafkaPartition(String topic, int partition) {
    }

    /** Pulsar partitions appended to through this broker -> their Kafka names (see {@link #leftBundle}). */
    private final ConcurrentHashMap<String, KafkaPartition> produced = new ConcurrentHashMap<>();

    /**
     * The Kafka partitions appended to here whose Pulsar topics fall in {@code bundle}, forgotten:
     * the bundle left this broker, and the core must drop their producer state.
     */
    List<KafkaPartition> leftBundle(NamespaceBundle bundle) {
        List<KafkaPartition> out = new ArrayList<>();
        produced.entrySet().removeIf(e -> {
            if (bundle.includes(TopicName.get(e.getKey()))) {
                out.add(e.getValue());
                return true;
            }
            return false;
        });
        return out;
    }

    PulsarPartitionLog(BrokerService brokerService, TopicNames names, long timeoutMs) {
        this.brokerService = brokerService;
        this.pulsar = brokerService.getPulsar();
        this.names = names;
        this.timeoutMs = timeoutMs;
        this.reader = new PartitionReader(this::resolveLedger);
        this.reader.setPendingRecords(this::pendingRecords);
        this.mirror = new SubscriptionMirror(this, names, timeoutMs);
        this.policies = new ProducePolicies(pulsar.getConfiguration().getMaxMessageSize(),
                pulsar.getConfiguration().isSchemaValidationEnforced());
        this.holds = new ProduceHold(pulsar.getExecutor());
    }

    @Override
    public void connectionClosed(Object connection) {
        policies.connectionClosed(connection);
        holds.connectionClosed(connection);
    }

    /**
     * Forgets what is cached about a Kafka topic (its partition count, its partitions' log start
     * offsets): called after it was created, deleted or grown here.
     */
    void invalidate(String kafkaName) {
        if (kafkaName == null) {
            return;
        }
        partitionCounts.remove(kafkaName);
        TopicName base = names.toPulsar(kafkaName);
        if (base != null) {
            partitionCounts.keySet().removeIf(k -> base.equals(names.toPulsar(k)));
            reader.invalidate(base);
            // A deleted topic's partitions must not stay here for good (the next append to a
            // partition that still exists records it again).
            produced.keySet().removeIf(k -> TopicNames.isTopicOrPartitionOf(k, base));
        }
    }

    @Override
    public CompletableFuture<ReadResult> read(ReadCursors cursors, String topic, int partition, long offset,
                                              int maxBytes, int maxWaitMs) {
        return reader.read(cursors, topic, partition, offset, maxBytes, maxWaitMs);
    }

    @Override
    public CompletableFuture<Short> commitSubscription(String topic, int partition, String name, long offset) {
        return mirror.commit(topic, partition, name, offset);
    }

    @Override
    public CompletableFuture<Short> deleteSubscription(String topic, int partition, String name) {
        return mirror.delete(topic, partition, name);
    }

    /**
     * The PersistentTopic of (Kafka topic, partition), or a Kafka error code: the same resolution
     * (and errors) as appends, bounded by the timeout.
     */
    CompletableFuture<Resolved<PersistentTopic>> resolvePartition(String topic, int partition) {
        TopicName base = names.toPulsar(topic);
        if (base == null || partition < 0) {
            return CompletableFuture.completedFuture(Resolved.error(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION));
        }
        return resolveBounded(base, topic, partition);
    }

    // resolve() bounded by the timeout, its failures (thrown or completed) mapped to error codes.
    private CompletableFuture<Resolved<PersistentTopic>> resolveBounded(TopicName base, String topic, int partition) {
        try {
            return resolve(base, topic, partition).orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                    .handle((r, e) -> e != null ? Resolved.error(resolveError(e, base, partition)) : r);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(Resolved.error(resolveError(e, base, partition)));
        }
    }

    /** {@link #resolvePartition} for reads: the partition's {@link PartitionReader.Ledger}. */
    private CompletableFuture<Resolved<PartitionReader.Ledger>> resolveLedger(String topic, int partition) {
        return resolvePartition(topic, partition)
                .thenApply(r -> r.map(pt -> new PartitionReader.Ledger(pt.getName(), pt.getManagedLedger())));
    }

    @Override
    public CompletableFuture<AppendResult> append(String topic, int partition, ByteBuf entry, int numRecords) {
        return append(null, ProducePolicies.BROKER_APPEND, 0, topic, partition, entry, numRecords);
    }

    /**
     * Appends for a Kafka producer: after the partition resolves, the Pulsar producer policies
     * ({@link ProducePolicies}) decide, unless it is the broker's own append
     * ({@link ProducePolicies#BROKER_APPEND}); a refusal answers its Kafka code and message. An
     * exceeded producer_request_hold backlog quota holds it up to {@code maxHoldMs} from now
     * ({@link ProduceHold}); later appends to the partition wait behind it, in order, and that wait
     * counts against their own hold.
     */
    @Override
    public CompletableFuture<AppendResult> append(Object connection, long producerId, int maxHoldMs, String topic,
                                                  int partition, ByteBuf entry, int numRecords) {
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                entry.release();
            }
        };
        CompletableFuture<AppendResult> result = new CompletableFuture<>();
        TopicName base = names.toPulsar(topic);
        if (base == null || partition < 0 || numRecords <= 0) {
            release.run();
            result.complete(AppendResult.error(base == null || partition < 0 ? KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION
                    : KafkaErrors.UNKNOWN_SERVER_ERROR));
            return result;
        }
        String key = base + "#" + partition;
        CompletableFuture<Void> submitted = new CompletableFuture<>();
        CompletableFuture<Void> previous = tails.put(key, submitted);
        CompletableFuture<Resolved<PersistentTopic>> resolved = resolveBounded(base, topic, partition);
        CompletableFuture<Resolved<PersistentTopic>> ready = previous == null ? resolved
                : previous.thenCombine(resolved, (v, r) -> r);
        int bytes = entry.readableBytes();
        long holdUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, maxHoldMs));
        CompletableFuture<Admission> admission = ready.thenCompose(r -> admit(r, connection, producerId, holdUntil,
                bytes));
        admission.whenComplete((admitted, unexpected) -> {
            try {
                Admission a = unexpected != null
                        ? new Admission(Resolved.error(resolveError(unexpected, base, partition)), null) : admitted;
                Resolved<PersistentTopic> outcome = a.topic();
                if (a.refusal() != null) {
                    log.debug("kop-native: append to {} partition {} refused: {}", base, partition,
                            a.refusal().message());
                    result.complete(AppendResult.refused(a.refusal().error(), a.refusal().message()));
                } else if (outcome.ok()) {
                    PersistentTopic pt = outcome.value();
                    if (!produced.containsKey(pt.getName())) {
                        produced.put(pt.getName(), new KafkaPartition(topic, partition));
                    }
                    int throttleMs = producerId == ProducePolicies.BROKER_APPEND ? 0
                            : ProducePolicies.throttleMs(pt, numRecords, bytes);
                    publish(pt, entry, numRecords, throttleMs, result);
                } else {
                    result.complete(AppendResult.error(outcome.error()));
                }
            } catch (Throwable t) {
                log.warn("kop-native: append to {} partition {} failed: {}", base, partition, t.toString());
                result.complete(AppendResult.error(KafkaErrors.UNKNOWN_SERVER_ERROR));
            } finally {
                release.run(); // publishMessage takes its own reference; ours goes now
                submitted.complete(null);
                tails.remove(key, submitted);
            }
        });
        return result;
    }

    /** A resolved partition and the policies' refusal of the append (null: admitted). */
    private record Admission(Resolved<PersistentTopic> topic, ProducePolicies.Refusal refusal) {
    }

    // The policy check of a Kafka producer's append, once its partition resolved, held while a
    // producer_request_hold quota is exceeded (ProduceHold).
    private CompletableFuture<Admission> admit(Resolved<PersistentTopic> r, Object connection, long producerId,
                                               long holdUntil, int bytes) {
        if (!r.ok() || producerId == ProducePolicies.BROKER_APPEND) {
            return CompletableFuture.completedFuture(new Admission(r, null));
        }
        Supplier<CompletableFuture<ProducePolicies.Refusal>> check =
                () -> checkPolicies(r.value(), connection, producerId, bytes);
        return check.get().thenCompose(first -> {
            long leftMs = TimeUnit.NANOSECONDS.toMillis(holdUntil - System.nanoTime());
            return holds.hold(connection, first, (int) Math.max(0, leftMs), check);
        }).handle((refusal, e) -> new Admission(r, e == null ? refusal : policyFailure(r.value(), e)));
    }

    // One check of the policies, bounded by the timeout like the resolution (a look-up that does
    // not answer: REQUEST_TIMED_OUT); never completes exceptionally.
    private CompletableFuture<ProducePolicies.Refusal> checkPolicies(PersistentTopic topic, Object connection,
                                                                     long producerId, int bytes) {
        try {
            return policies.check(topic, connection, producerId, bytes).orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                    .handle((refusal, e) -> e == null ? refusal : policyFailure(topic, e));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(policyFailure(topic, e));
        }
    }

    private static ProducePolicies.Refusal policyFailure(PersistentTopic topic, Throwable e) {
        Throwable cause = TopicMetadataService.unwrap(e);
        log.warn("kop-native: checking the producer policies of {} failed: {}", topic.getName(), cause.toString());
        return new ProducePolicies.Refusal(cause instanceof TimeoutException
                ? KafkaErrors.REQUEST_TIMED_OUT : KafkaErrors.UNKNOWN_SERVER_ERROR,
                "the broker could not check the topic's policies");
    }

    // Maps a failure to resolve a partition to a Kafka error code.
    private short resolveError(Throwable failure, TopicName base, int partition) {
        Throwable cause = TopicMetadataService.unwrap(failure);
        if (cause instanceof TimeoutException) {
            log.warn("kop-native: resolving {} partition {} timed out after {} ms", base, partition, timeoutMs);
            return KafkaErrors.REQUEST_TIMED_OUT;
        }
        if (cause instanceof BrokerServiceException.ServiceUnitNotReadyException
                || cause instanceof BrokerServiceException.TopicFencedException
                || cause instanceof BrokerServiceException.TopicClosedException
                || cause instanceof BrokerServiceException.TopicMigratedException
                || isBeingUnloaded(cause)) {
            log.debug("kop-native: {} partition {} not served here: {}", base, partition, cause.toString());
            return KafkaErrors.NOT_LEADER_OR_FOLLOWER;
        }
        if (cause instanceof BrokerServiceException.TopicNotFoundException) {
            return KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION;
        }
        log.warn("kop-native: resolving {} partition {} failed: {}", base, partition, cause.toString());
        return KafkaErrors.UNKNOWN_SERVER_ERROR;
    }

    /**
     * Pulsar's "Namespace bundle ... is being unloaded" (an IllegalStateException): the partition is
     * on its way to another broker. Retriable: the client refreshes metadata and follows it. Other
     * IllegalStateExceptions are not taken for it.
     */
    static boolean isBeingUnloaded(Throwable cause) {
        return cause instanceof IllegalStateException && cause.getMessage() != null
                && cause.getMessage().contains("being unloaded");
    }

    /**
     * Completes with the partition's PersistentTopic, or a Kafka error code (3: no such topic or
     * partition, 6: not owned here / not a persistent topic).
     */
    private CompletableFuture<Resolved<PersistentTopic>> resolve(TopicName base, String kafkaName, int partition) {
        Integer cached = partitionCounts.get(kafkaName);
        CompletableFuture<Integer> count = cached != null && (partition < Math.max(1, cached))
                ? CompletableFuture.completedFuture(cached)
                : brokerService.fetchPartitionedTopicMetadataAsync(base).thenApply(md -> {
                    int n = Math.max(0, md.partitions);
                    if (n > 0) {
                        partitionCounts.put(kafkaName, n);
                    } else {
                        partitionCounts.remove(kafkaName); // missing or non-partitioned: ask again next time
                    }
                    return n;
                });
        return count.thenCompose(n -> {
            if (partition >= Math.max(1, n)) {
                return CompletableFuture.completedFuture(Resolved.error(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION));
            }
            String name = TopicNames.partition(base, partition, n).toString();
            // A partition listed in metadata may be created; a non-partitioned topic must exist.
            // Loaded here: use it (a map look-up; a fenced or closed topic fails the publish with 6).
            // Otherwise load it once the bundle is ours.
            Optional<Topic> loaded = brokerService.getTopicReference(name);
            return loaded.isPresent() ? CompletableFuture.completedFuture(persistentOrError(loaded))
                    : loadOwned(TopicName.get(name), n > 0);
        });
    }

    /**
     * Loads a topic that is not loaded here (getTopic would fail with ServiceUnitNotReady, and log a
     * warning, while this broker does not own the bundle): only if its bundle is owned, after a
     * lookup that lets this broker take an unowned bundle (as a Pulsar client's lookup would).
     * Owned elsewhere: 6 NOT_LEADER_OR_FOLLOWER.
     */
    private CompletableFuture<Resolved<PersistentTopic>> loadOwned(TopicName tn, boolean create) {
        NamespaceService ns = pulsar.getNamespaceService();
        return ns.isServiceUnitActiveAsync(tn).thenCompose(owned -> {
            if (owned) {
                return CompletableFuture.completedFuture(true);
            }
            LookupOptions options = LookupOptions.builder().authoritative(false).loadTopicsInBundle(false).build();
            return ns.getBrokerServiceUrlAsync(tn, options).thenCompose(r -> {
                log.debug("kop-native: lookup of {}: {}", tn, r);
                return ns.isServiceUnitActiveAsync(tn);
            });
        }).thenCompose(owned -> {
            if (owned) {
                return brokerService.getTopic(tn.toString(), create).thenApply(PulsarPartitionLog::persistentOrError);
            }
            log.debug("kop-native: {} is not served here: its bundle is not active on this broker", tn);
            return CompletableFuture.completedFuture(Resolved.error(KafkaErrors.NOT_LEADER_OR_FOLLOWER));
        });
    }

    private static Resolved<PersistentTopic> persistentOrError(Optional<Topic> topic) {
        if (topic.isEmpty()) {
            return Resolved.error(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        if (topic.get() instanceof PersistentTopic pt) {
            return Resolved.of(pt);
        }
        return Resolved.error(KafkaErrors.NOT_LEADER_OR_FOLLOWER);
    }

    private void publish(PersistentTopic topic, ByteBuf entry, int numRecords, int throttleMs,
                         CompletableFuture<AppendResult> result) {
        AtomicLong pending = inFlight.computeIfAbsent(topic.getName(), k -> new AtomicLong());
        pending.addAndGet(numRecords);
        result.whenComplete((r, e) -> pending.addAndGet(-numRecords));
        topic.publishMessage(entry,
                new AppendContext(topic, numRecords, sequenceIds.getAndIncrement(), throttleMs, result));
    }

    /** Maps publishMessage's failures to Kafka error codes. */
    static short errorOf(Exception e) {
        Throwable cause = TopicMetadataService.unwrap(e);
        if (cause instanceof BrokerServiceException.TopicClosedException
                || cause instanceof BrokerServiceException.TopicFencedException
                || cause instanceof BrokerServiceException.TopicTerminatedException
                || cause instanceof BrokerServiceException.ServiceUnitNotReadyException
                || cause instanceof BrokerServiceException.TopicMigratedException) {
            return KafkaErrors.NOT_LEADER_OR_FOLLOWER;
        }
        if (cause instanceof BrokerServiceException.NotAllowedException) {
            return KafkaErrors.MESSAGE_TOO_LARGE;
        }
        return KafkaErrors.KAFKA_STORAGE_ERROR;
    }

    private final class AppendContext implements Topic.PublishContext {
        private final PersistentTopic topic;
        private final int numRecords;
        private final long sequenceId;
        private final int throttleMs;
        private final CompletableFuture<AppendResult> result;
        private volatile long baseOffset = -1L;

        AppendContext(PersistentTopic topic, int numRecords, long sequenceId, int throttleMs,
                      CompletableFuture<AppendResult> result) {
            this.topic = topic;
            this.numRecords = numRecords;
            this.sequenceId = sequenceId;
            this.throttleMs = throttleMs;
            this.result = result;
        }

        @Override
        public String getProducerName() {
            return PRODUCER_NAME;
        }

        @Override
        public long getSequenceId() {
            return sequenceId;
        }

        @Override
        public long getNumberOfMessages() {
            return numRecords;
        }

        @Override
        public boolean isMarkerMessage() {
            return false;
        }

        @Override
        public void setMetadataFromEntryData(ByteBuf entryData) {
            BrokerEntryMetadata md = Commands.peekBrokerEntryMetadataIfExist(entryData);
            if (md != null && md.hasIndex()) {
                baseOffset = md.getIndex() - (numRecords - 1);
            }
        }

        @Override
        public void completed(Exception e, long ledgerId, long entryId) {
            if (e != null) {
                short code = errorOf(e);
                if (code == KafkaErrors.KAFKA_STORAGE_ERROR) {
                    log.warn("kop-native: append to {} failed: {}", topic.getName(), e.toString());
                } else {
                    log.debug("kop-native: append to {} failed: {}", topic.getName(), e.toString());
                }
                result.complete(code == KafkaErrors.MESSAGE_TOO_LARGE
                        ? new AppendResult(code, -1L, -1L, "refused by the topic: " + e.getMessage(), throttleMs)
                        : new AppendResult(code, -1L, -1L, null, throttleMs));
                return;
            }
            long offset = baseOffset;
            if (offset < 0) {
                if (ledgerId < 0 && entryId < 0) {
                    log.warn("kop-native: append to {} was dropped as a duplicate by Pulsar's deduplication",
                            topic.getName());
                } else if (missingIndexLogged.compareAndSet(false, true) || log.isDebugEnabled()) {
                    log.error("kop-native: entry {}:{} of {} has no broker entry index: "
                            + "brokerEntryMetadataInterceptors must include AppendIndexMetadataInterceptor "
                            + "(topics loaded before it was configured need a reload)",
                            ledgerId, entryId, topic.getName());
                }
                result.complete(AppendResult.error(KafkaErrors.UNKNOWN_SERVER_ERROR));
                return;
            }
            result.complete(new AppendResult(KafkaErrors.NONE, offset, -1L, null, throttleMs));
        }
    }
}
