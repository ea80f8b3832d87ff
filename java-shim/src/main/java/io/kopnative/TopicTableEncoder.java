package io.kopnative;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * The answer to the core's topic lookups and listings (TopicPort::Lookup / ListAll), as
 * {@link NativeBridge#nativeOnTopicsResolved} takes it: each topic's name, partition count and
 * Kafka error, and, where another broker owns a partition, every partition's leader as an index
 * into a node table of the cluster's other Kafka brokers (Kafka's Metadata response names the
 * leader by broker id; the core answers with the table's ids, hosts and ports).
 */
final class TopicTableEncoder {
    /**
     * One encoded answer. {@code leaders}: null when every partition is this broker's, else one
     * entry per partition of every topic found, in order ({@link NativeBridge#LEADER_LOCAL},
     * {@link NativeBridge#LEADER_NONE} or an index into {@code nodes}). {@code nodes}: null when the
     * cluster is unknown (no table is sent and the core keeps its last one).
     */
    record TopicTable(String[] names, int[] partitions, short[] errors, int[] leaders,
                      List<PartitionOwners.Node> nodes) {
        int[] nodeIds() {
            return nodes == null ? null : nodes.stream().mapToInt(PartitionOwners.Node::id).toArray();
        }

        String[] nodeHosts() {
            return nodes == null ? null : nodes.stream().map(PartitionOwners.Node::host).toArray(String[]::new);
        }

        int[] nodePorts() {
            return nodes == null ? null : nodes.stream().mapToInt(PartitionOwners.Node::port).toArray();
        }
    }

    private final TopicSource topics; // null: no broker (unit tests), every partition is this broker's
    private final Listener listener;

    TopicTableEncoder(TopicSource topics, Listener listener) {
        this.topics = topics;
        this.listener = listener;
    }

    /**
     * Any thread: resolves the owners of every partition of the topics found and the cluster's
     * other brokers (an owner lookup that fails counts as unknown), then encodes the answer. The
     * future completes on whatever thread finished the last lookup.
     */
    CompletableFuture<TopicTable> encode(List<TopicMetadataService.TopicResult> results) {
        return encode(results, i -> {
            TopicMetadataService.TopicResult r = results.get(i);
            return topics.owners(r.name(), r.partitions(), listener.name());
        });
    }

    /**
     * The answer to TopicPort::LookupOffsetsOwners: one entry per partition of the offsets topic
     * {@code offsetsTopic} (no name, no error), owned as {@link TopicSource#offsetsOwner} says.
     */
    CompletableFuture<TopicTable> encodeOffsetsOwners(String offsetsTopic, int[] partitions) {
        List<TopicMetadataService.TopicResult> results = new ArrayList<>(partitions.length);
        for (int i = 0; i < partitions.length; i++) {
            results.add(new TopicMetadataService.TopicResult("", 0, KafkaErrors.NONE));
        }
        return encode(results, i -> topics.offsetsOwner(offsetsTopic, partitions[i], listener.name()));
    }

    // Asks `ownersOf` (by index) for the owners of each topic found, with the cluster's brokers.
    private CompletableFuture<TopicTable> encode(List<TopicMetadataService.TopicResult> results,
                                                 IntFunction<CompletableFuture<List<PartitionOwners.Node>>> ownersOf) {
        int n = results.size();
        List<CompletableFuture<List<PartitionOwners.Node>>> owners = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            CompletableFuture<List<PartitionOwners.Node>> f;
            try {
                f = results.get(i).error() != KafkaErrors.NONE || topics == null
                        ? CompletableFuture.completedFuture(null)
                        : ownersOf.apply(i);
            } catch (Throwable t) {
                f = CompletableFuture.failedFuture(t);
            }
            owners.add(f.exceptionally(t -> null));
        }
        CompletableFuture<List<PartitionOwners.Node>> cluster;
        try {
            cluster = topics == null ? CompletableFuture.completedFuture(List.of())
                    : topics.clusterNodes(listener.name());
        } catch (Throwable t) {
            cluster = CompletableFuture.failedFuture(t);
        }
        CompletableFuture<List<PartitionOwners.Node>> others = cluster.exceptionally(t -> null);
        owners.add(others);
        return CompletableFuture.allOf(owners.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<List<PartitionOwners.Node>> resolved = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                resolved.add(owners.get(i).getNow(null));
            }
            return encode(results, resolved, others.getNow(null));
        });
    }

    /**
     * Encodes topics and their owners. A topic whose owners are unknown (null) is reported as this
     * broker's; with no remote or missing owner at all, no leaders are sent (every partition is
     * this broker's). The node table starts with the cluster's other Kafka brokers
     * ({@code cluster}; null: unknown, no table is sent and the core keeps its last one).
     */
    static TopicTable encode(List<TopicMetadataService.TopicResult> results,
                             List<List<PartitionOwners.Node>> owners, List<PartitionOwners.Node> cluster) {
        int n = results.size();
        String[] names = new String[n];
        int[] partitions = new int[n];
        short[] errors = new short[n];
        NodeTable table = new NodeTable();
        if (cluster != null) {
            for (PartitionOwners.Node node : cluster) {
                if (node != null && node != PartitionOwners.Node.LOCAL) {
                    table.indexOf(node);
                }
            }
        }
        List<Integer> leaders = new ArrayList<>();
        boolean anyRemote = false;
        for (int i = 0; i < n; i++) {
            TopicMetadataService.TopicResult r = results.get(i);
            names[i] = r.name() == null ? "" : r.name();
            partitions[i] = r.partitions();
            errors[i] = r.error();
            if (r.error() != KafkaErrors.NONE) {
                continue;
            }
            int count = Math.max(r.partitions(), 1);
            List<PartitionOwners.Node> o = owners.get(i);
            for (int p = 0; p < count; p++) {
                PartitionOwners.Node node = o == null || o.size() != count ? PartitionOwners.Node.LOCAL : o.get(p);
                if (node == PartitionOwners.Node.LOCAL) {
                    leaders.add(NativeBridge.LEADER_LOCAL);
                } else if (node == null) {
                    leaders.add(NativeBridge.LEADER_NONE);
                    anyRemote = true;
                } else {
                    leaders.add(table.indexOf(node));
                    anyRemote = true;
                }
            }
        }
        int[] leaderArray = anyRemote ? leaders.stream().mapToInt(Integer::intValue).toArray() : null;
        boolean withTable = cluster != null || anyRemote;
        return new TopicTable(names, partitions, errors, leaderArray, withTable ? table.nodes : null);
    }

    /** The node table being built: each node once, in order of first mention. */
    private static final class NodeTable {
        final List<PartitionOwners.Node> nodes = new ArrayList<>();
        final Map<PartitionOwners.Node, Integer> index = new HashMap<>();

        int indexOf(PartitionOwners.Node node) {
            return index.computeIfAbsent(node, k -> {
                nodes.add(k);
                return nodes.size() - 1;
            });
        }
    }
}
