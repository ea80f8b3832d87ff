package io.kopnative;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.naming.TopicDomain;
import org.apache.pulsar.common.naming.TopicName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group coordinators' {@code __consumer_offsets} topics: the kafkaMetadataTenant's, and with
 * {@code kafkaEnableMultiTenantMetadata} (KoP's key, default true) one per tenant, in
 * {@code persistent://<tenant>/<kafkaMetadataNamespace>/__consumer_offsets}, so one tenant's groups
 * never meet another's (issue 11; the core's groups/coordinator_set.h).
 *
 * <p>A name the core asks about ({@link #parse}) must be exactly such a topic: the core builds it
 * from the tenant of the client's SASL user name, which the client chose, so nothing else is looked
 * up or created. Another tenant's namespace and topic are created with the broker's own admin
 * client the first time its clients look for a coordinator ({@link #ready}), as KoP did: it is the
 * broker's own metadata, like the kafkaMetadataTenant's, never a topic a client can name (the
 * core refuses every tenant's metadata namespace). The tenant itself is never created. Until its
 * topic exists, lookups answer no owner and clients get COORDINATOR_NOT_AVAILABLE, which they retry.
 *
 * <p>At most {@link #MAX_TENANTS} tenants get a setup (the core keeps at most as many
 * coordinators); a tenant whose setup gave up is tried again after {@link #RETRY_AFTER_MS}.
 */
final class OffsetsTopics implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OffsetsTopics.class);
    static final int MAX_TENANTS = 1024;
    static final long RETRY_AFTER_MS = 60_000;

    private final PulsarService pulsar; // null in unit tests: no setup is started
    private final KopConfig config;
    private final KafkaMetadataSetup main;
    private final int partitions;
    private final Map<String, Attempt> tenants = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private record Attempt(KafkaMetadataSetup setup, long startedMs) { }

    OffsetsTopics(PulsarService pulsar, KopConfig config, KafkaMetadataSetup main, int partitions) {
        this.pulsar = pulsar;
        this.config = config;
        this.main = main;
        this.partitions = partitions;
    }

    int partitions() {
        return partitions;
    }

    boolean perTenant() {
        return config.multiTenantMetadata();
    }

    String metadataTenant() {
        return config.metadataNamespace().getTenant();
    }

    /**
     * The offsets topic named {@code name} if it is one a coordinator of this broker uses (the
     * kafkaMetadataTenant's, or with per-tenant metadata any tenant's), else null.
     */
    TopicName parse(String name) {
        TopicName tn;
        try {
            tn = name == null ? null : TopicName.get(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (tn == null || tn.getDomain() != TopicDomain.persistent || tn.isPartitioned()
                || !KopConfig.OFFSETS_TOPIC_NAME.equals(tn.getLocalName())) {
            return null;
        }
        NamespaceName ns = tn.getNamespaceObject();
        if (!ns.getLocalName().equals(config.metadataNamespace().getLocalName())) {
            return null;
        }
        if (!perTenant() && !ns.getTenant().equals(metadataTenant())) {
            return null;
        }
        return tn;
    }

    /**
     * Whether {@code topic}'s namespace and topic exist (as far as this broker knows). If not,
     * starts creating them, once; never blocks.
     */
    boolean ready(TopicName topic) {
        String tenant = topic.getTenant();
        if (tenant.equals(metadataTenant())) {
            // Created at start-up; until then lookups fail and clients retry, as before.
            return true;
        }
        Attempt a = tenants.get(tenant);
        if (a != null && a.setup().ready()) {
            return true;
        }
        long now = System.currentTimeMillis();
        if (a != null && !(a.setup().failed() && now - a.startedMs() >= RETRY_AFTER_MS)) {
            return false; // still being created, or gave up recently
        }
        if (closed || pulsar == null || (a == null && tenants.size() >= MAX_TENANTS)) {
            return false;
        }
        KafkaMetadataSetup setup = new KafkaMetadataSetup(pulsar, config, tenant);
        Attempt next = new Attempt(setup, now);
        boolean mine = a == null ? tenants.putIfAbsent(tenant, next) == null : tenants.replace(tenant, a, next);
        if (mine) {
            log.info("kop-native: creating the group coordinator's topic {} for tenant {}", topic, tenant);
            setup.start(partitions);
        }
        return false;
    }

    /** The kafkaMetadataTenant's setup (started by the handler). */
    KafkaMetadataSetup main() {
        return main;
    }

    @Override
    public void close() {
        closed = true;
        for (Attempt a : tenants.values()) {
            a.setup().close();
        }
    }
}
