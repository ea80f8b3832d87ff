package io.kopnative;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.broker.lookup.LookupResult;
import org.apache.pulsar.broker.loadbalance.LoadManager;
import org.apache.pulsar.broker.namespace.LookupOptions;
import org.apache.pulsar.broker.namespace.NamespaceService;
import org.apache.pulsar.client.impl.PulsarClientImpl;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.metadata.api.MetadataCache;
import org.apache.pulsar.policies.data.loadbalancer.LocalBrokerData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which broker owns a partition, as a Kafka client addresses it: Pulsar's bundle owner, mapped to
 * that broker's Kafka listener of the same name as the asking connection's (every broker publishes
 * its {@code kafkaAdvertisedListeners} as the "kafka" protocol data of its load report, as KoP did).
 *
 * <p>A lookup may give an unowned bundle to a broker, exactly as a Pulsar client's lookup would.
 * Nothing is cached here: Pulsar's namespace service answers owned bundles from its own ownership
 * cache, and broker data comes from the metadata store's watched cache, so a bundle that moved is
 * seen at once. Futures complete on Pulsar's threads and never exceptionally: an owner that cannot
 * be resolved is {@code null} (clients get LEADER_NOT_AVAILABLE and retry).
 */
final class PartitionOwners {
    private static final Logger log = LoggerFactory.getLogger(PartitionOwners.class);

    /** A Kafka endpoint of a broker; {@link #LOCAL} is this broker. */
    record Node(int id, String host, int port) {
        static final Node LOCAL = new Node(-2, "", -1);
    }

    private final PulsarService pulsar;
    private final long timeoutMs;
    private final MetadataCache<LocalBrokerData> brokers;
    /** Brokers whose data had no Kafka listener, warned about once each. */
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    /** The last {@link #clusterNodes} answer per listener name. */
    private final Map<String, List<Node>> clusterByListener = new ConcurrentHashMap<>();

    PartitionOwners(PulsarService pulsar, long timeoutMs) {
        this.pulsar = pulsar;
        this.timeoutMs = timeoutMs;
        this.brokers = pulsar.getLocalMetadataStore().getMetadataCache(LocalBrokerData.class);
    }

    /**
     * The owners of {@code partitions} partitions of {@code topic} (0: the non-partitioned topic
     * itself), in order, for a connection on listener {@code listenerName}.
     */
    CompletableFuture<List<Node>> owners(TopicName topic, int partitions, String listenerName) {
        int n = Math.max(partitions, 1);
        List<CompletableFuture<Node>> each = new ArrayList<>(n);
        for (int p = 0; p < n; p++) {
            each.add(owner(partitions > 0 ? topic.getPartition(p) : topic, listenerName));
        }
        return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<Node> out = new ArrayList<>(n);
            for (CompletableFuture<Node> f : each) {
                out.add(f.join());
            }
            return out;
        });
    }

    CompletableFuture<Node> owner(TopicName partition, String listenerName) {
        CompletableFuture<Node> f;
        try {
            // Owned and active here (the check appends and reads make too, so the two never
            // disagree): ours, from the ownership cache, the common case on one broker.
            NamespaceService ns = pulsar.getNamespaceService();
            f = ns.isServiceUnitActiveAsync(partition).thenCompose(active -> {
                if (active) {
                    return CompletableFuture.completedFuture(Node.LOCAL);
                }
                LookupOptions options = LookupOptions.builder().authoritative(false).loadTopicsInBundle(false)
                        .build();
                return ns.getBrokerServiceUrlAsync(partition, options)
                        .thenCompose(r -> fromLookup(partition, r, listenerName));
            });
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).exceptionally(t -> {
            log.warn("kop-native: finding the owner of {} failed: {}", partition,
                    TopicMetadataService.unwrap(t).toString());
            return null;
        });
    }

    private CompletableFuture<Node> fromLookup(TopicName partition, Optional<LookupResult> result,
                                               String listenerName) {
        if (result.isEmpty()) {
            return CompletableFuture.completedFuture(null); // no broker available
        }
        LookupResult r = result.get();
        if (r.isRedirect()) {
            // Another broker decides (Pulsar's leader, for an unowned bundle): follow it the way a
            // Pulsar client does, through the broker's own client, to the owner's service address.
            return internalLookup(partition).thenCompose(address -> byPulsarAddress(partition, address, listenerName));
        }
        String url = r.getLookupData().getBrokerUrl();
        String urlTls = r.getLookupData().getBrokerUrlTls();
        if (isSelf(url) || isSelf(urlTls)) {
            return selfIfActive(partition);
        }
        String brokerId = brokerIdOf(r.getLookupData().getHttpUrl(), r.getLookupData().getHttpUrlTls());
        if (brokerId == null) {
            return byPulsarAddress(partition, url != null ? url : urlTls, listenerName);
        }
        return brokers.get(LoadManager.LOADBALANCE_BROKERS_ROOT + "/" + brokerId).thenCompose(data -> data.isPresent()
                ? CompletableFuture.completedFuture(kafkaNode(brokerId, data.get(), listenerName))
                : byPulsarAddress(partition, url != null ? url : urlTls, listenerName));
    }

    private CompletableFuture<String> internalLookup(TopicName partition) {
        try {
            PulsarClientImpl client = (PulsarClientImpl) pulsar.getClient();
            return client.getLookup().getBroker(partition).thenApply(res -> {
                InetSocketAddress a = res.getLogicalAddress();
                return "pulsar://" + a.getHostString() + ":" + a.getPort();
            });
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Pulsar names this broker as the owner: ours if the bundle is active here (a lookup may just
     * have given it to us), else no owner for now (its ownership cache lags a move): clients retry
     * instead of being sent here to be refused.
     */
    private CompletableFuture<Node> selfIfActive(TopicName partition) {
        return pulsar.getNamespaceService().isServiceUnitActiveAsync(partition)
                .thenApply(active -> active ? Node.LOCAL : null);
    }

    /** A live broker's id and its load report. */
    private record BrokerData(String id, LocalBrokerData data) {
    }

    /** Every live broker's load report (the load manager's list, the metadata store's cache). */
    private CompletableFuture<List<BrokerData>> liveBrokers() {
        return pulsar.getLoadManager().get().getAvailableBrokersAsync().thenCompose(ids -> {
            List<String> idList = new ArrayList<>(ids);
            List<CompletableFuture<Optional<LocalBrokerData>>> each = new ArrayList<>(idList.size());
            for (String id : idList) {
                each.add(brokers.get(LoadManager.LOADBALANCE_BROKERS_ROOT + "/" + id));
            }
            return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
                List<BrokerData> out = new ArrayList<>(idList.size());
                for (int i = 0; i < idList.size(); i++) {
                    Optional<LocalBrokerData> d = each.get(i).join();
                    if (d.isPresent()) {
                        out.add(new BrokerData(idList.get(i), d.get()));
                    }
                }
                return out;
            });
        });
    }

    /** Scans the brokers' load reports for the one serving Pulsar at {@code url} (either scheme). */
    private CompletableFuture<Node> byPulsarAddress(TopicName partition, String url, String listenerName) {
        if (url == null) {
            return CompletableFuture.completedFuture(null);
        }
        if (isSelf(url)) {
            return selfIfActive(partition);
        }
        String wanted = hostPort(url);
        if (wanted == null) {
            return CompletableFuture.completedFuture(null);
        }
        return liveBrokers().thenApply(live -> {
            for (BrokerData b : live) {
                if (wanted.equals(hostPort(b.data().getPulsarServiceUrl()))
                        || wanted.equals(hostPort(b.data().getPulsarServiceUrlTls()))) {
                    return kafkaNode(b.id(), b.data(), listenerName);
                }
            }
            log.warn("kop-native: no broker serves Pulsar at {}; its partitions have no Kafka leader", url);
            return null;
        });
    }

    /**
     * Every other broker with a Kafka listener, as a connection on {@code listenerName} addresses
     * them, from the load manager's live brokers and their load reports (both served from the
     * metadata store's caches). On failure or timeout: the last list found for that listener, so a
     * slow metadata store never makes brokers vanish from Metadata.
     */
    CompletableFuture<List<Node>> clusterNodes(String listenerName) {
        String key = listenerName == null ? "" : listenerName;
        CompletableFuture<List<Node>> f;
        try {
            String self = pulsar.getBrokerId();
            f = liveBrokers().thenApply(live -> {
                List<Node> out = new ArrayList<>(live.size());
                for (BrokerData b : live) {
                    Node node = b.id().equals(self) ? null : kafkaNode(b.id(), b.data(), listenerName);
                    if (node != null && !out.contains(node)) {
                        out.add(node);
                    }
                }
                return out;
            });
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).handle((nodes, t) -> {
            if (t != null) {
                log.warn("kop-native: listing the cluster's Kafka brokers failed: {}",
                        TopicMetadataService.unwrap(t).toString());
                return clusterByListener.getOrDefault(key, List.of());
            }
            clusterByListener.put(key, List.copyOf(nodes));
            return nodes;
        });
    }

    /** The broker's Kafka listener named {@code listenerName} (else its first), or null if it has none. */
    private Node kafkaNode(String brokerId, LocalBrokerData data, String listenerName) {
        Optional<String> advertised = data.getProtocol(KafkaProtocolHandler.PROTOCOL_NAME);
        if (advertised.isEmpty() || advertised.get().isBlank()) {
            if (warned.add(brokerId)) {
                log.warn("kop-native: broker {} advertises no Kafka listener: Kafka clients are not sent there (is the "
                        + "kafka protocol handler loaded there, with a listener open? see docs/security.md)",
                        brokerId);
            }
            return null;
        }
        List<Listener> listeners;
        try {
            listeners = Listener.parseList("kafka protocol data of " + brokerId, advertised.get(), Map.of());
        } catch (IllegalArgumentException e) {
            if (warned.add(brokerId)) {
                log.warn("kop-native: broker {} advertises unparsable Kafka listeners: {}", brokerId, e.getMessage());
            }
            return null;
        }
        Listener chosen = listeners.get(0);
        for (Listener l : listeners) {
            if (l.name().equalsIgnoreCase(listenerName)) {
                chosen = l;
                break;
            }
        }
        return new Node(KopConfig.nodeId(chosen.host(), chosen.port()), chosen.host(), chosen.port());
    }

    private boolean isSelf(String url) {
        return url != null && (url.equals(pulsar.getBrokerServiceUrl()) || url.equals(pulsar.getBrokerServiceUrlTls()));
    }

    /** "host:port" of a URL, or null. */
    static String hostPort(String url) {
        if (url == null || url.isEmpty()) {
            return null;
        }
        try {
            URI u = URI.create(url);
            return u.getHost() == null ? null : u.getHost() + ":" + u.getPort();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Pulsar's broker id (advertised host:web port) from a lookup's HTTP URL, or null. */
    static String brokerIdOf(String httpUrl, String httpsUrl) {
        String id = hostPort(httpUrl);
        return id != null ? id : hostPort(httpsUrl);
    }
}
