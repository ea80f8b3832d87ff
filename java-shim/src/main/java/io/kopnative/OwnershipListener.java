package io.kopnative;

import java.util.List;
import org.apache.pulsar.broker.namespace.NamespaceBundleOwnershipListener;
import org.apache.pulsar.common.naming.NamespaceBundle;
import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.naming.TopicName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the native core when Pulsar moves bundles to or away from this broker:
 * <ul>
 *   <li>a bundle holding {@code __consumer_offsets} partitions (the kafkaMetadataTenant's, or with
 *       per-tenant group metadata any tenant's, see {@link OffsetsTopics}): losing it unloads
 *       their groups at once, so two brokers never coordinate one group; gaining it lets the next
 *       Metadata request load them (KoP lesson 14: load on ownership);</li>
 *   <li>a bundle of the Kafka namespace: the Kafka partitions appended to here that it holds
 *       drop their idempotent-producer state, which would be stale if they came back.</li>
 * </ul>
 * Pulsar calls it on its own threads; nothing here blocks.
 */
final class OwnershipListener implements NamespaceBundleOwnershipListener {
    private static final Logger log = LoggerFactory.getLogger(OwnershipListener.class);

    private final NativeBroker broker;
    private final OffsetsTopics offsetsTopics;
    private final NamespaceName kafkaNamespace;
    private final PulsarPartitionLog partitionLog;
    /** Set when the handler closes: Pulsar keeps listeners registered, and our classes go away. */
    private volatile boolean closed;

    OwnershipListener(NativeBroker broker, OffsetsTopics offsetsTopics, NamespaceName kafkaNamespace,
                      PulsarPartitionLog partitionLog) {
        this.broker = broker;
        this.offsetsTopics = offsetsTopics;
        this.kafkaNamespace = kafkaNamespace;
        this.partitionLog = partitionLog;
    }

    /** Stops reacting: the broker is shutting down (its bundles are unloaded after handlers close). */
    void close() {
        closed = true;
    }

    @Override
    public boolean test(NamespaceBundle bundle) {
        if (closed) {
            return false;
        }
        NamespaceName ns = bundle.getNamespaceObject();
        return offsetsTopic(ns) != null || ns.equals(kafkaNamespace);
    }

    @Override
    public void onLoad(NamespaceBundle bundle) {
        offsets(bundle, true);
    }

    @Override
    public void unLoad(NamespaceBundle bundle) {
        offsets(bundle, false);
        try {
            List<PulsarPartitionLog.KafkaPartition> left = partitionLog.leftBundle(bundle);
            for (PulsarPartitionLog.KafkaPartition p : left) {
                broker.partitionLeft(p.topic(), p.partition());
            }
            if (!left.isEmpty()) {
                log.info("kop-native: bundle {} left this broker: producer state of {} Kafka partitions dropped",
                        bundle, left.size());
            }
        } catch (RuntimeException | LinkageError e) {
            log.warn("kop-native: dropping producer state for bundle {} failed: {}", bundle, e.toString());
        }
    }

    // The coordinator topic in namespace `ns`, if `ns` is a metadata namespace a coordinator uses.
    private TopicName offsetsTopic(NamespaceName ns) {
        return offsetsTopics.parse(TopicName.get("persistent", ns, KopConfig.OFFSETS_TOPIC_NAME).toString());
    }

    private void offsets(NamespaceBundle bundle, boolean owned) {
        TopicName offsetsTopic = offsetsTopic(bundle.getNamespaceObject());
        if (offsetsTopic == null) {
            return;
        }
        try {
            int count = 0;
            for (int p = 0; p < offsetsTopics.partitions(); p++) {
                if (bundle.includes(offsetsTopic.getPartition(p))) {
                    broker.offsetsPartitionOwnership(offsetsTopic.getTenant(), p, owned);
                    count++;
                }
            }
            if (count > 0) {
                log.info("kop-native: bundle {} {} this broker: {} partitions of {}", bundle,
                        owned ? "is now owned by" : "left", count, offsetsTopic);
            }
        } catch (RuntimeException | LinkageError e) {
            log.warn("kop-native: handling the ownership change of bundle {} failed: {}", bundle, e.toString());
        }
    }
}
