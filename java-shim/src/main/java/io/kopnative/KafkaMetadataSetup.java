package io.kopnative;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.partition.PartitionedTopicMetadata;
import org.apache.pulsar.common.policies.data.InactiveTopicPolicies;
import org.apache.pulsar.common.policies.data.Policies;
import org.apache.pulsar.common.policies.data.RetentionPolicies;
import org.apache.pulsar.common.policies.data.TenantInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates what the group coordinator stores its state in, if missing, as KoP did at start-up:
 * the tenant {@code kafkaMetadataTenant}, the namespace {@code kafkaMetadataNamespace} (retention
 * {@code offsetsRetentionMinutes} with unlimited size, and inactive topics never deleted: the
 * offsets topic has neither producers nor subscriptions), and the partitioned topic
 * {@code __consumer_offsets} with {@code offsetsTopicNumPartitions} partitions.
 *
 * <p>An existing tenant, namespace or topic is left as it is (its policies are the operator's); a
 * namespace without retention or with inactive-topic deletion gets a warning. An existing topic
 * whose partition count differs from the configuration wins: {@link #existingOffsetsPartitions}
 * reads it before the native broker is created, so the core gets the real count.
 *
 * <p>{@link #start} runs asynchronously through the broker's own admin client (Pulsar's REST API,
 * so Pulsar's checks apply), once the broker's cluster is registered (a standalone broker
 * registers it after the protocol handlers started), retrying a failed attempt after 1, 2, 4, 8,
 * then every {@link #RETRY_DELAY_MS} ms, up to {@link #MAX_ATTEMPTS} attempts; failures are
 * logged and never stop the broker (the coordinator answers errors until the topic exists).
 *
 * <p>With per-tenant group metadata ({@code kafkaEnableMultiTenantMetadata}), {@link OffsetsTopics}
 * makes one of these for each other tenant whose clients ask for a group coordinator: the same
 * namespace and topic in that tenant. Such a tenant is never created: a tenant that does not exist
 * ends the attempts at once ({@link #failed}), and the tenant's clients get
 * COORDINATOR_NOT_AVAILABLE.
 */
final class KafkaMetadataSetup implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaMetadataSetup.class);
    static final long RETRY_DELAY_MS = 10_000;
    static final int MAX_ATTEMPTS = 40;
    static final long ATTEMPT_TIMEOUT_MS = 60_000;

    private final PulsarService pulsar;
    private final NamespaceName namespace;
    private final TopicName topic;
    private final int retentionMinutes;
    private final boolean createTenant;
    private volatile int partitions;
    private volatile boolean closed;
    private volatile ScheduledFuture<?> retry;
    /** Everything exists: the coordinator's topic can be looked up. */
    private volatile boolean ready;
    /** Gave up (attempts exhausted, or a tenant that does not exist). */
    private volatile boolean failed;

    /** The kafkaMetadataTenant's setup: creates the tenant too if it is missing, as KoP did. */
    KafkaMetadataSetup(PulsarService pulsar, KopConfig config) {
        this(pulsar, config, config.offsetsTopic(), true);
    }

    /** Another tenant's, for per-tenant group metadata: that tenant must exist. */
    KafkaMetadataSetup(PulsarService pulsar, KopConfig config, String tenant) {
        this(pulsar, config, config.offsetsTopic(tenant), false);
    }

    private KafkaMetadataSetup(PulsarService pulsar, KopConfig config, TopicName topic, boolean createTenant) {
        this.pulsar = pulsar;
        this.namespace = topic.getNamespaceObject();
        this.topic = topic;
        this.retentionMinutes = config.offsetsRetentionMinutes();
        this.partitions = config.offsetsTopicNumPartitions();
        this.createTenant = createTenant;
    }

    boolean ready() {
        return ready;
    }

    boolean failed() {
        return failed;
    }

    TopicName offsetsTopic() {
        return topic;
    }

    /**
     * The partition count of an existing {@code __consumer_offsets} from the metadata store (no
     * REST call): > 0 if it exists partitioned, 0 if it has no partitioned metadata, -1 if that
     * could not be read in {@code timeoutMs}. Blocks: call it from a start-up thread only.
     */
    int existingOffsetsPartitions(long timeoutMs) {
        try {
            Optional<PartitionedTopicMetadata> md = pulsar.getPulsarResources().getNamespaceResources()
                    .getPartitionedTopicResources().getPartitionedTopicMetadataAsync(topic)
                    .get(timeoutMs, TimeUnit.MILLISECONDS);
            return md.map(m -> Math.max(0, m.partitions)).orElse(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            log.warn("kop-native: reading the partitioned metadata of {} failed: {}", topic,
                    TopicMetadataService.unwrap(e).toString());
            return -1;
        }
    }

    /** Starts creating what is missing, in the background; {@code partitions} for a new topic. */
    void start(int partitions) {
        this.partitions = partitions;
        attempt(1);
    }

    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> r = retry;
        if (r != null) {
            r.cancel(false);
        }
    }

    private void attempt(int n) {
        if (closed) {
            return;
        }
        CompletableFuture<Void> f;
        try {
            f = TopicMetadataService.adminClient(pulsar).thenCompose(this::ensure)
                    .orTimeout(ATTEMPT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((v, e) -> {
            if (e == null) {
                ready = true;
                return;
            }
            if (closed) {
                return;
            }
            Throwable cause = TopicMetadataService.unwrap(e);
            if (cause instanceof MissingTenantException) {
                failed = true;
                log.warn("kop-native: no group coordinator for tenant {}: {}", namespace.getTenant(),
                        cause.getMessage());
                return;
            }
            long delayMs = Math.min(RETRY_DELAY_MS, 1000L << Math.min(n - 1, 10));
            if (n >= MAX_ATTEMPTS) {
                failed = true;
                log.error("kop-native: giving up creating the group coordinator's topic {} after {} attempts: {}; "
                        + "Kafka consumer groups fail until it exists (create it with {} partitions)", topic, n,
                        cause.toString(), partitions);
                return;
            }
            if (cause instanceof NotReadyException) {
                log.info("kop-native: waiting to create the group coordinator's topic {}: {}", topic,
                        cause.getMessage());
            } else {
                log.warn("kop-native: creating the group coordinator's topic {} failed (attempt {} of {}), retrying "
                        + "in {} ms: {}", topic, n, MAX_ATTEMPTS, delayMs, cause.toString());
            }
            try {
                retry = pulsar.getExecutor().schedule(() -> attempt(n + 1), delayMs, TimeUnit.MILLISECONDS);
            } catch (RuntimeException re) {
                log.warn("kop-native: cannot schedule another attempt to create {}: {}", topic, re.toString());
            }
        });
    }

    private CompletableFuture<Void> ensure(PulsarAdmin admin) {
        return ensureCluster(admin).thenCompose(v -> ensureTenant(admin)).thenCompose(v -> ensureNamespace(admin))
                .thenCompose(v -> ensureTopic(admin));
    }

    /** A tenant's clients ask for groups, but the tenant does not exist (it is never created for them). */
    static final class MissingTenantException extends RuntimeException {
        MissingTenantException(String message) {
            super(message, null, false, false);
        }
    }

    /** Thrown while the broker's cluster is not registered yet (standalone registers it after start). */
    static final class NotReadyException extends RuntimeException {
        NotReadyException(String message) {
            super(message, null, false, false);
        }
    }

    // Existence is checked by listing, not by reading a missing entity: Pulsar logs an ERROR for
    // every GET of a tenant or namespace that does not exist.
    private CompletableFuture<Void> ensureCluster(PulsarAdmin admin) {
        return admin.clusters().getClustersAsync().thenAccept(clusters -> {
            if (!clusters.contains(cluster())) {
                throw new NotReadyException("cluster " + cluster() + " is not registered yet");
            }
        });
    }

    private CompletableFuture<Void> ensureTenant(PulsarAdmin admin) {
        String tenant = namespace.getTenant();
        return admin.tenants().getTenantsAsync().thenCompose(tenants -> {
            if (tenants.contains(tenant)) {
                return CompletableFuture.completedFuture(null);
            }
            if (!createTenant) {
                throw new MissingTenantException("the tenant does not exist");
            }
            TenantInfo info = TenantInfo.builder().adminRoles(Set.of()).allowedClusters(Set.of(cluster())).build();
            return admin.tenants().createTenantAsync(tenant, info)
                    .thenRun(() -> log.info("kop-native: created tenant {} for the group coordinator", tenant))
                    .exceptionallyCompose(c -> isStatus(c, 409) ? CompletableFuture.completedFuture(null)
                            : CompletableFuture.failedFuture(c));
        });
    }

    private CompletableFuture<Void> ensureNamespace(PulsarAdmin admin) {
        String ns = namespace.toString();
        return admin.namespaces().getNamespacesAsync(namespace.getTenant()).thenCompose(namespaces -> {
            if (namespaces.contains(ns)) {
                return admin.namespaces().getPoliciesAsync(ns).thenAccept(this::checkExisting);
            }
            return admin.namespaces().createNamespaceAsync(ns, Set.of(cluster()))
                    .thenCompose(v -> admin.namespaces().setRetentionAsync(ns, retention()))
                    .thenCompose(v -> admin.namespaces().setInactiveTopicPoliciesAsync(ns, keepInactiveTopics()))
                    .thenRun(() -> log.info("kop-native: created namespace {} for the group coordinator: retention {} "
                            + "min with unlimited size (offsetsRetentionMinutes), inactive topics kept", ns,
                            retentionMinutes))
                    .exceptionallyCompose(c -> {
                        if (!isStatus(c, 409)) {
                            return CompletableFuture.failedFuture(c);
                        }
                        // Another broker created it meanwhile (and sets its policies).
                        return CompletableFuture.completedFuture(null);
                    });
        });
    }

    RetentionPolicies retention() {
        return new RetentionPolicies(retentionMinutes, -1);
    }

    // The broker's inactive-topic mode and duration, but never deleting: the offsets topic has no
    // producer (appends go through publishMessage) and no subscription, so Pulsar would take it
    // for inactive and delete it with every committed offset.
    InactiveTopicPolicies keepInactiveTopics() {
        return new InactiveTopicPolicies(pulsar.getConfiguration().getBrokerDeleteInactiveTopicsMode(),
                pulsar.getConfiguration().getBrokerDeleteInactiveTopicsMaxInactiveDurationSeconds(), false);
    }

    // An existing namespace keeps its policies; say what could lose committed offsets.
    private void checkExisting(Policies p) {
        RetentionPolicies r = p.retention_policies;
        if (r == null && pulsar.getConfiguration().getDefaultRetentionTimeInMinutes() == 0) {
            log.warn("kop-native: namespace {} has no retention and the broker's defaultRetentionTimeInMinutes is 0: "
                    + "committed Kafka offsets may be trimmed; set its retention (e.g. {} min, size -1)", namespace,
                    retentionMinutes);
        }
        InactiveTopicPolicies i = p.inactive_topic_policies;
        boolean deletes = i != null ? i.isDeleteWhileInactive()
                : pulsar.getConfiguration().isBrokerDeleteInactiveTopicsEnabled();
        if (deletes) {
            log.warn("kop-native: namespace {} lets Pulsar delete inactive topics: {} has no producers or "
                    + "subscriptions and may be deleted with every committed Kafka offset; set its inactive topic "
                    + "policy with deleteWhileInactive=false", namespace, topic);
        }
    }

    private CompletableFuture<Void> ensureTopic(PulsarAdmin admin) {
        return pulsar.getBrokerService().fetchPartitionedTopicMetadataAsync(topic).thenCompose(md -> {
            if (md != null && md.partitions > 0) {
                reportExisting(md.partitions);
                return CompletableFuture.completedFuture(null);
            }
            int n = partitions;
            return admin.topics().createPartitionedTopicAsync(topic.toString(), n)
                    .thenRun(() -> log.info("kop-native: created the group coordinator's topic {} with {} partitions",
                            topic, n))
                    .exceptionallyCompose(e -> {
                        if (!isStatus(e, 409)) {
                            return CompletableFuture.failedFuture(e);
                        }
                        return pulsar.getBrokerService().fetchPartitionedTopicMetadataAsync(topic).thenAccept(again -> {
                            if (again != null && again.partitions > 0) {
                                reportExisting(again.partitions);
                            } else {
                                log.error("kop-native: {} exists as a non-partitioned topic; the group coordinator "
                                        + "needs a partitioned topic with {} partitions", topic, n);
                            }
                        });
                    });
        });
    }

    private void reportExisting(int existing) {
        if (existing != partitions) {
            log.warn("kop-native: the group coordinator's topic {} has {} partitions, not offsetsTopicNumPartitions={} "
                    + "as the core was told; restart the broker so it uses {}", topic, existing, partitions, existing);
        } else {
            log.info("kop-native: the group coordinator's topic {} has {} partitions", topic, existing);
        }
    }

    private String cluster() {
        return pulsar.getConfiguration().getClusterName();
    }

    private static boolean isStatus(Throwable t, int status) {
        Throwable cause = TopicMetadataService.unwrap(t);
        return cause instanceof PulsarAdminException pae && pae.getStatusCode() == status;
    }
}
