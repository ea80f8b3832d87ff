package io.kopnative;

import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.naming.TopicDomain;
import org.apache.pulsar.common.naming.TopicName;

/**
 * The one mapping between the topic names the core uses and Pulsar topics, shared by topic
 * metadata, appends, reads and the subscription mirror.
 *
 * <ul>
 *   <li>A name starting with {@code persistent://} is a full Pulsar name, used as is, unchanged
 *       in every path (lookup and auto-creation, admin, appends, reads, partition owners, the
 *       subscription mirror). The core names the group coordinator's
 *       {@code persistent://{tenant}/{kafkaMetadataNamespace}/__consumer_offsets} this way, and
 *       passes on a Kafka client's full name {@code persistent://tenant/namespace/topic} (or its
 *       short name in a SASL namespace) once its {@code CheckClientTopic} and Pulsar authorization
 *       allowed it: they refuse malformed names, every tenant's metadata namespace, {@code __}
 *       (system) topics and non-persistent topics.
 *   <li>Any other name is a topic of the Kafka namespace: {@code orders} is
 *       {@code persistent://{kafkaTenant}/{kafkaNamespace}/orders}.
 *   <li>Partition p of a partitioned topic is {@code <name>-partition-<p>}; a non-partitioned
 *       topic is served as its only partition 0.
 * </ul>
 */
final class TopicNames {
    static final String PERSISTENT_PREFIX = TopicDomain.persistent.value() + "://";

    private final NamespaceName namespace;

    TopicNames(NamespaceName kafkaNamespace) {
        this.namespace = kafkaNamespace;
    }

    TopicNames(String tenant, String namespace) {
        this(NamespaceName.get(tenant, namespace));
    }

    /** The Kafka namespace ({@code kafkaTenant/kafkaNamespace}). */
    NamespaceName namespace() {
        return namespace;
    }

    /**
     * The Pulsar topic of a name, or null if the name cannot be one: null or empty, a full name of
     * another domain, a short name with '/' or "://", a partition of a partitioned topic, or
     * anything TopicName refuses.
     */
    TopicName toPulsar(String name) {
        if (name == null || name.isEmpty()) {
            return null;
        }
        try {
            TopicName tn;
            if (name.startsWith(PERSISTENT_PREFIX)) {
                tn = TopicName.get(name);
            } else {
                if (name.indexOf('/') >= 0 || name.contains("://")) {
                    return null;
                }
                tn = TopicName.get(TopicDomain.persistent.value(), namespace, name);
            }
            if (!tn.isPersistent() || tn.isPartitioned() || tn.getLocalName().isEmpty()) {
                return null;
            }
            return tn;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The name the core knows a Pulsar topic by: the local name inside the Kafka namespace, else the full name. */
    String toKafka(TopicName tn) {
        return namespace.equals(tn.getNamespaceObject()) ? tn.getLocalName() : tn.toString();
    }

    /**
     * The Pulsar topic holding {@code partition} of {@code base}, which has {@code partitions}
     * partitions (0: non-partitioned, whose only partition 0 is the topic itself).
     */
    static TopicName partition(TopicName base, int partition, int partitions) {
        return partitions > 0 ? base.getPartition(partition) : base;
    }

    /** Whether {@code pulsarName} is {@code base} itself or one of its partitions. */
    static boolean isTopicOrPartitionOf(String pulsarName, TopicName base) {
        String name = base.toString();
        return pulsarName.equals(name) || pulsarName.startsWith(name + TopicName.PARTITIONED_TOPIC_SUFFIX);
    }
}
