package io.kopnative;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.bookkeeper.mledger.AsyncCallbacks;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedger;
import org.apache.bookkeeper.mledger.ManagedLedgerException;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.PositionFactory;
import org.apache.bookkeeper.mledger.intercept.ManagedLedgerInterceptor;
import org.apache.pulsar.broker.intercept.ManagedLedgerInterceptorImpl;
import org.apache.pulsar.broker.service.BrokerServiceException;
import org.apache.pulsar.broker.service.persistent.PersistentSubscription;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;
import org.apache.pulsar.common.api.proto.CommandSubscribe;
import org.apache.pulsar.common.naming.TopicName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core's subscription mirror on a Pulsar broker (LogPort::CommitSubscription and
 * DeleteSubscription): a Kafka group's committed offset of a partition becomes the mark-delete
 * position of a durable Pulsar subscription on that partition, so Pulsar's stats show the group's
 * lag as backlog and retention keeps what the group has not consumed.
 *
 * <ul>
 *   <li>The partition resolves exactly as for appends ({@link PulsarPartitionLog#resolvePartition}):
 *       not served here is 6 NOT_LEADER_OR_FOLLOWER, missing is 3 UNKNOWN_TOPIC_OR_PARTITION.
 *   <li>A commit of offset {@code o} acknowledges every entry wholly below {@code o}: the
 *       mark-delete position becomes the newest entry whose broker entry index (its last record's
 *       offset) is below {@code o}, found with the reads' search
 *       ({@link PartitionReader#newestEntryBefore}); with none, nothing is acknowledged. An entry
 *       that holds {@code o} stays unacknowledged, so Pulsar never drops records the group has not
 *       consumed.
 *   <li>Forward moves are a cursor mark-delete; backward moves (a group reset its offsets) are
 *       {@link PersistentSubscription#resetCursor(Position)} (which disconnects Pulsar consumers of
 *       that subscription, if any).
 *   <li>The subscription is created on first commit (durable, initial position earliest, not
 *       replicated), with the marker {@link #MARKER_KEY}={@code true} in its subscription
 *       properties (PIP-105; kept in the cursor, so it survives restarts). Each commit refreshes
 *       its last-active time, which Pulsar's inactive subscription expiry
 *       ({@code subscriptionExpirationTimeMinutes}) measures.
 *   <li>It never moves, resets or deletes a subscription without that marker (issue 11): one made
 *       by a Pulsar consumer, {@code pulsar-admin} or anything else, which a Kafka client could
 *       otherwise take over by naming its group after it. Such a call answers 30
 *       GROUP_AUTHORIZATION_FAILED (the core only logs it; the group's commit itself succeeds in
 *       {@code __consumer_offsets}), and the first one per (partition, subscription) is logged at
 *       WARN. This covers the race too: {@code createSubscription} returns the subscription that
 *       already exists under that name, so it is checked the same way.
 *   <li>Calls for one (partition, subscription) run one after the other, in call order.
 * </ul>
 *
 * <p>Nothing blocks; futures complete on Pulsar's threads and the handler re-posts them. They
 * never complete exceptionally: the result is a Kafka error code.
 */
final class SubscriptionMirror {
    private static final Logger log = LoggerFactory.getLogger(SubscriptionMirror.class);
    /** The subscription property that marks a subscription as created by this mirror. */
    static final String MARKER_KEY = "kop-native.group-mirror";
    private static final Map<String, String> MARKER = Map.of(MARKER_KEY, "true");
    /** How many foreign (partition, subscription) pairs are remembered as already reported. */
    private static final int REPORTED_CAPACITY = 1024;

    private final PulsarPartitionLog topics;
    private final TopicNames names;
    private final long timeoutMs;
    /** Per (partition, subscription): completes when the latest call finished (keeps call order). */
    private final ConcurrentHashMap<String, CompletableFuture<Short>> tails = new ConcurrentHashMap<>();
    private final ReportedOnce foreignReported = new ReportedOnce(REPORTED_CAPACITY);

    SubscriptionMirror(PulsarPartitionLog topics, TopicNames names, long timeoutMs) {
        this.topics = topics;
        this.names = names;
        this.timeoutMs = timeoutMs;
    }

    /**
     * Whether {@code name} can name a mirror subscription: not empty, and not one of the cursor
     * names Pulsar reserves for itself (compaction's {@code __compaction}, and {@code pulsar.*} such
     * as deduplication's {@code pulsar.dedup} and replicators' {@code pulsar.repl.*}).
     */
    static boolean isValidName(String name) {
        return name != null && !name.isEmpty() && !PersistentTopic.isCompactionSubscription(name)
                && !name.startsWith("pulsar.");
    }

    /** Whether subscription properties {@code properties} carry the mirror's marker. */
    static boolean isMirror(Map<String, String> properties) {
        return properties != null && "true".equals(properties.get(MARKER_KEY));
    }

    /**
     * Remembers up to {@code capacity} keys; {@link #first} is true the first time a key is seen.
     * When full it forgets them all, so memory stays bounded and a key may be reported again
     * after many others were.
     */
    static final class ReportedOnce {
        private final int capacity;
        private final Set<String> seen = ConcurrentHashMap.newKeySet();

        ReportedOnce(int capacity) {
            this.capacity = capacity;
        }

        boolean first(String key) {
            if (seen.size() >= capacity && !seen.contains(key)) {
                seen.clear();
            }
            return seen.add(key);
        }
    }

    /**
     * Moves (creating it if missing) subscription {@code name} of (topic, partition) to
     * {@code offset}; one without the marker is left alone (30 GROUP_AUTHORIZATION_FAILED).
     */
    CompletableFuture<Short> commit(String topic, int partition, String name, long offset) {
        if (!isValidName(name)) {
            return CompletableFuture.completedFuture(KafkaErrors.INVALID_GROUP_ID);
        }
        if (offset < 0) {
            return CompletableFuture.completedFuture(KafkaErrors.UNKNOWN_SERVER_ERROR);
        }
        return serialized(topic, partition, name, () -> topics.resolvePartition(topic, partition).thenCompose(
                r -> r.ok() ? commit(r.value(), name, offset) : CompletableFuture.completedFuture(r.error())));
    }

    /**
     * Deletes subscription {@code name} of (topic, partition); a missing subscription or topic is
     * success, one without the marker is left alone (30 GROUP_AUTHORIZATION_FAILED).
     */
    CompletableFuture<Short> delete(String topic, int partition, String name) {
        if (!isValidName(name)) {
            return CompletableFuture.completedFuture(KafkaErrors.INVALID_GROUP_ID);
        }
        return serialized(topic, partition, name, () -> topics.resolvePartition(topic, partition).thenCompose(
                r -> {
                    if (r.ok()) {
                        return delete(r.value(), name);
                    }
                    return CompletableFuture.completedFuture(
                            r.error() == KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION ? KafkaErrors.NONE : r.error());
                }));
    }

    // Runs `op` after the previous call for the same (partition, subscription), bounded by the
    // timeout; maps failures to Kafka error codes.
    private CompletableFuture<Short> serialized(String topic, int partition, String name,
                                                Supplier<CompletableFuture<Short>> op) {
        TopicName base = names.toPulsar(topic);
        if (base == null || partition < 0) {
            return CompletableFuture.completedFuture(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        String key = base + "#" + partition + "#" + name;
        CompletableFuture<Short> result = new CompletableFuture<>();
        CompletableFuture<Short> previous = tails.put(key, result);
        CompletableFuture<Short> before = previous == null ? CompletableFuture.completedFuture(KafkaErrors.NONE)
                : previous;
        before.handle((v, e) -> null).thenCompose(v -> {
            try {
                return op.get();
            } catch (RuntimeException e) {
                return CompletableFuture.<Short>failedFuture(e);
            }
        }).orTimeout(timeoutMs, TimeUnit.MILLISECONDS).whenComplete((code, e) -> {
            result.complete(e == null ? code : errorOf(e, base, partition, name));
            tails.remove(key, result);
        });
        return result;
    }

    private CompletableFuture<Short> commit(PersistentTopic pt, String name, long offset) {
        return subscription(pt, name).thenCompose(sub -> {
            if (!ownedByMirror(pt, sub, name)) {
                return CompletableFuture.completedFuture(KafkaErrors.GROUP_AUTHORIZATION_FAILED);
            }
            ManagedCursor cursor = sub.getCursor();
            if (!cursor.isDurable()) {
                log.warn("kop-native: subscription {} of {} is not durable; committed offsets are not mirrored into it",
                        name, pt.getName());
                return CompletableFuture.completedFuture(KafkaErrors.UNKNOWN_SERVER_ERROR);
            }
            cursor.updateLastActive();
            ManagedLedger ml = pt.getManagedLedger();
            return target(ml, offset).thenCompose(target -> moveTo(ml, sub, cursor, target));
        });
    }

    // Gets or creates (with the marker) the durable subscription. createSubscription answers the
    // existing subscription when one appeared meanwhile, so the caller checks the marker either way.
    private static CompletableFuture<PersistentSubscription> subscription(PersistentTopic pt, String name) {
        PersistentSubscription existing = pt.getSubscription(name);
        if (existing != null) {
            return CompletableFuture.completedFuture(existing);
        }
        return pt.createSubscription(name, CommandSubscribe.InitialPosition.Earliest, false, MARKER)
                .thenApply(s -> {
                    PersistentSubscription sub = (PersistentSubscription) s;
                    if (isMirror(sub.getSubscriptionProperties())) {
                        log.info("kop-native: subscription {} of {} mirrors a Kafka group's committed offsets", name,
                                pt.getName());
                    }
                    return sub;
                });
    }

    // Whether the mirror may move or delete `sub`: only if it carries the marker. Warns once per
    // (partition, subscription) otherwise.
    private boolean ownedByMirror(PersistentTopic pt, PersistentSubscription sub, String name) {
        if (isMirror(sub.getSubscriptionProperties())) {
            return true;
        }
        if (foreignReported.first(pt.getName() + "#" + name)) {
            log.warn("kop-native: subscription {} on {} was not created by the Kafka group mirror (no {}=true "
                    + "property); kop-native leaves it alone. Kafka group {} keeps its committed offsets in "
                    + "__consumer_offsets only. See docs/consumer-groups.md to adopt the subscription.", name,
                    pt.getName(), MARKER_KEY, name);
        }
        return false;
    }

    /**
     * The mark-delete position for a committed {@code offset}: the newest entry wholly below it,
     * or empty when no entry is (nothing acknowledged).
     */
    private static CompletableFuture<Optional<Position>> target(ManagedLedger ml, long offset) {
        Position lac = ml.getLastConfirmedEntry(); // before the index: the index may only be ahead of it
        ManagedLedgerInterceptor interceptor = ml.getManagedLedgerInterceptor();
        if (!(interceptor instanceof ManagedLedgerInterceptorImpl index)) {
            return CompletableFuture.failedFuture(new IllegalStateException(ml.getName()
                    + " has no broker entry index interceptor"));
        }
        if (ml.getNumberOfEntries() <= 0) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        if (offset > index.getIndex() && lac != null && lac.getEntryId() >= 0) {
            // At or past the log end: every confirmed entry is below it (no search).
            return CompletableFuture.completedFuture(Optional.of(lac));
        }
        return PartitionReader.newestEntryBefore(ml, offset);
    }

    private static CompletableFuture<Short> moveTo(ManagedLedger ml, PersistentSubscription sub, ManagedCursor cursor,
                                                   Optional<Position> target) {
        Position current = cursor.getMarkDeletedPosition();
        if (target.isEmpty()) {
            // Nothing acknowledged: already so if the mark-delete position is before the first entry.
            Position first = ml.getNextValidPosition(ml.getFirstPosition());
            if (current == null || first == null || current.compareTo(first) < 0) {
                return CompletableFuture.completedFuture(KafkaErrors.NONE);
            }
            return sub.resetCursor(PositionFactory.EARLIEST).thenApply(v -> KafkaErrors.NONE);
        }
        Position markDelete = target.get();
        int cmp = current == null ? 1 : markDelete.compareTo(current);
        if (cmp == 0) {
            return CompletableFuture.completedFuture(KafkaErrors.NONE);
        }
        if (cmp < 0) {
            // Backwards (the group reset its offsets): the read position is the entry after it.
            return sub.resetCursor(ml.getNextValidPosition(markDelete)).thenApply(v -> KafkaErrors.NONE);
        }
        CompletableFuture<Short> done = new CompletableFuture<>();
        cursor.asyncMarkDelete(markDelete, new AsyncCallbacks.MarkDeleteCallback() {
            @Override
            public void markDeleteComplete(Object ctx) {
                done.complete(KafkaErrors.NONE);
            }

            @Override
            public void markDeleteFailed(ManagedLedgerException e, Object ctx) {
                done.completeExceptionally(e);
            }
        }, null);
        return done;
    }

    private CompletableFuture<Short> delete(PersistentTopic pt, String name) {
        PersistentSubscription sub = pt.getSubscription(name);
        if (sub == null) {
            return CompletableFuture.completedFuture(KafkaErrors.NONE);
        }
        if (!ownedByMirror(pt, sub, name)) {
            return CompletableFuture.completedFuture(KafkaErrors.GROUP_AUTHORIZATION_FAILED);
        }
        return sub.delete().thenApply(v -> {
            log.info("kop-native: deleted subscription {} of {} with its Kafka group", name, pt.getName());
            return KafkaErrors.NONE;
        });
    }

    private short errorOf(Throwable t, TopicName base, int partition, String name) {
        Throwable cause = TopicMetadataService.unwrap(t);
        if (cause instanceof TimeoutException) {
            log.warn("kop-native: subscription {} of {} partition {} timed out after {} ms", name, base, partition,
                    timeoutMs);
            return KafkaErrors.REQUEST_TIMED_OUT;
        }
        if (cause instanceof BrokerServiceException.TopicFencedException
                || cause instanceof BrokerServiceException.TopicClosedException
                || cause instanceof BrokerServiceException.ServiceUnitNotReadyException) {
            log.debug("kop-native: subscription {} of {} partition {}: {}", name, base, partition, cause.toString());
            return KafkaErrors.NOT_LEADER_OR_FOLLOWER;
        }
        if (cause instanceof BrokerServiceException.SubscriptionBusyException) {
            log.warn("kop-native: subscription {} of {} partition {} is busy (a Pulsar consumer is attached, "
                    + "or a reset is in progress): {}", name, base, partition, cause.getMessage());
            return KafkaErrors.UNKNOWN_SERVER_ERROR;
        }
        log.warn("kop-native: subscription {} of {} partition {} failed: {}", name, base, partition, cause.toString());
        return cause instanceof ManagedLedgerException ? KafkaErrors.KAFKA_STORAGE_ERROR
                : KafkaErrors.UNKNOWN_SERVER_ERROR;
    }
}
