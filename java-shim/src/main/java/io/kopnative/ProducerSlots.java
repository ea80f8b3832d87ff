package io.kopnative;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * The Kafka producers counted against a topic's {@code maxProducersPerTopic}, as Pulsar counts its
 * own producers (AbstractTopic.isProducersExceeded: refused once the limit is reached). A Kafka
 * producer is its producer id when it is idempotent, otherwise its connection: Kafka has no
 * "create producer" request, so a producer holds its slot on a topic from its first append until
 * the last connection it appended on closes.
 *
 * <p>Bounded: slots are taken only on topics with a limit, and never past it; a connection's list
 * holds only topics it holds a slot on.
 */
final class ProducerSlots {
    /** Pulsar topic -> producer key -> the connections that appended with it. */
    private final Map<String, Map<Object, Set<Object>>> byTopic = new HashMap<>();
    /** Connection -> the topics it holds a slot on. */
    private final Map<Object, Set<String>> byConnection = new HashMap<>();

    /**
     * Takes (or keeps) the slot of producer {@code key} on {@code topic} for {@code connection}:
     * false when the producer is new and the topic already has {@code max} producers, Kafka's
     * slots plus {@code pulsarProducers} (asked only then).
     */
    synchronized boolean acquire(String topic, Object key, Object connection, int max, IntSupplier pulsarProducers) {
        Map<Object, Set<Object>> keys = byTopic.get(topic);
        Set<Object> holders = keys == null ? null : keys.get(key);
        if (holders == null) {
            int held = keys == null ? 0 : keys.size();
            if (held + pulsarProducers.getAsInt() >= max) {
                return false;
            }
            if (keys == null) {
                keys = new HashMap<>();
                byTopic.put(topic, keys);
            }
            holders = new HashSet<>();
            keys.put(key, holders);
        }
        if (holders.add(connection)) {
            byConnection.computeIfAbsent(connection, c -> new HashSet<>()).add(topic);
        }
        return true;
    }

    /** The connection closed: the producers that appended only through it give their slots back. */
    synchronized void release(Object connection) {
        Set<String> topics = byConnection.remove(connection);
        if (topics == null) {
            return;
        }
        for (String topic : topics) {
            Map<Object, Set<Object>> keys = byTopic.get(topic);
            if (keys == null) {
                continue;
            }
            keys.values().removeIf(holders -> {
                holders.remove(connection);
                return holders.isEmpty();
            });
            if (keys.isEmpty()) {
                byTopic.remove(topic);
            }
        }
    }

    /** Kafka producers holding a slot on {@code topic} (tests). */
    synchronized int count(String topic) {
        Map<Object, Set<Object>> keys = byTopic.get(topic);
        return keys == null ? 0 : keys.size();
    }
}
