package io.kopnative;

import org.apache.pulsar.broker.namespace.NamespaceBundleOwnershipListener;
import org.apache.pulsar.common.naming.NamespaceBundle;
import org.apache.pulsar.common.naming.TopicName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the native group coordinator when Pulsar moves a bundle holding {@code __consumer_offsets}
 * partitions to or away from this broker: losing one unloads its groups at once, so two brokers
 * never coordinate the same group; gaining one lets the next Metadata request load it (KoP lesson
 * 14: load on ownership). Pulsar calls it on its own threads.
 */
final class OffsetsOwnershipListener implements NamespaceBundleOwnershipListener {
    private static final Logger log = LoggerFactory.getLogger(OffsetsOwnershipListener.class);

    private final NativeBroker broker;
    private final TopicName offsetsTopic;
    private final int partitions;

    OffsetsOwnershipListener(NativeBroker broker, TopicName offsetsTopic, int partitions) {
        this.broker = broker;
        this.offsetsTopic = offsetsTopic;
        this.partitions = partitions;
    }

    @Override
    public boolean test(NamespaceBundle bundle) {
        return bundle.getNamespaceObject().equals(offsetsTopic.getNamespaceObject());
    }

    @Override
    public void onLoad(NamespaceBundle bundle) {
        notify(bundle, true);
    }

    @Override
    public void unLoad(NamespaceBundle bundle) {
        notify(bundle, false);
    }

    private void notify(NamespaceBundle bundle, boolean owned) {
        try {
            int count = 0;
            for (int p = 0; p < partitions; p++) {
                if (bundle.includes(offsetsTopic.getPartition(p))) {
                    broker.offsetsPartitionOwnership(p, owned);
                    count++;
                }
            }
            if (count > 0) {
                log.info("kop-native: bundle {} {} this broker: {} partitions of {}", bundle,
                        owned ? "is now owned by" : "left", count, offsetsTopic);
            }
        } catch (RuntimeException e) {
            log.warn("kop-native: handling the ownership change of bundle {} failed: {}", bundle, e.toString());
        }
    }
}
