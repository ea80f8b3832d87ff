package io.kopnative;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.broker.protocol.ProtocolHandler;
import org.apache.pulsar.broker.service.BrokerService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulsar's entry point: {@code messagingProtocols=kafka} loads this class from the NAR. It reads
 * the configuration, loads libkopnative.so, creates the native core and gives Pulsar one Netty
 * channel initializer per Kafka listener. The Kafka protocol itself lives in the native core.
 */
public class KafkaProtocolHandler implements ProtocolHandler {
    public static final String PROTOCOL_NAME = "kafka";
    private static final Logger log = LoggerFactory.getLogger(KafkaProtocolHandler.class);

    private KopConfig config;
    private NativeBroker broker;
    private SaslAuthenticator sasl; // SASL listeners' authentication, from start()
    private TopicMetadataService topics;
    private PulsarPartitionLog partitionLog;
    private KafkaMetadataSetup metadata;
    private OffsetsTopics offsetsTopics; // every tenant's __consumer_offsets
    private OwnershipListener ownership;
    private int offsetsPartitions; // what the core was told offsetsTopicNumPartitions is
    private Map<String, ServerSslContext> tls = Map.of(); // by listener name: the open SSL/SASL_SSL ones
    private ScheduledExecutorService tlsReloader;         // null: no TLS listener or no reload

    @Override
    public String protocolName() {
        return PROTOCOL_NAME;
    }

    @Override
    public boolean accept(String protocol) {
        return PROTOCOL_NAME.equalsIgnoreCase(protocol);
    }

    @Override
    public void initialize(ServiceConfiguration conf) throws Exception {
        try {
            config = KopConfig.from(conf);
        } catch (IllegalArgumentException e) {
            log.error("kop-native: refusing to start the Kafka protocol handler: {}", e.getMessage());
            throw e;
        }
        logListenerPolicy(config);
        openTls(conf);
        if (config.listeners().isEmpty()) {
            log.error("kop-native: no Kafka listener is open: this broker serves no Kafka client (Pulsar's own "
                    + "protocol is not affected)");
        }
        NativeBridge.load();
        ClassPreloader.preload();
        broker = NativeBroker.create(config.toNativeKeysAndValues());
        log.info("kop-native: Kafka protocol handler initialized: kafkaListeners={}, kafkaAdvertisedListeners={}, "
                + "settings={}", config.listeners(), config.advertisedListenersText(), config.effective());
    }

    /**
     * Issue 11, no side door: one ERROR line per listener refused because it would let
     * unauthenticated clients in although Pulsar authentication is on, one WARN line per such
     * listener opened through kafkaAllowUnauthenticatedListeners (at every start, so it is not
     * forgotten). With every listener refused the handler still starts (core, tick thread, group
     * coordinator's metadata, ownership listener) but opens no port and advertises no Kafka
     * listener; the broker keeps serving Pulsar's own protocol.
     */
    private static void logListenerPolicy(KopConfig config) {
        for (Listener l : config.refusedListeners()) {
            log.error(ListenerPolicy.refusal(l));
        }
        for (Listener l : config.unauthenticatedListeners()) {
            log.warn(ListenerPolicy.warning(l));
        }
    }

    /**
     * Builds the TLS context of every open SSL/SASL_SSL listener. One without a certificate
     * configured, or whose files or passwords do not work, gets one ERROR line and is shut (neither
     * opened nor advertised: the configuration is read again without it); the broker keeps running.
     * Starts the reload check when tlsCertRefreshCheckDurationSec > 0.
     */
    private void openTls(ServiceConfiguration conf) {
        TlsSettings settings = config.tls();
        Map<String, ServerSslContext> opened = new LinkedHashMap<>();
        Set<String> shut = new LinkedHashSet<>();
        for (Listener l : config.listeners()) {
            if (!TlsSettings.usesTls(l.securityProtocol())) {
                continue;
            }
            if (!settings.hasCertificate()) {
                log.error(settings.noCertificate(l));
                shut.add(l.name());
                continue;
            }
            try {
                ServerSslContext ctx = ServerSslContext.open(l, settings, ServerSslContext.defaultProvider());
                opened.put(l.name(), ctx);
                log.info("kop-native: Kafka listener {} uses the {} TLS engine; {}", l, ctx.engineName(), settings);
            } catch (ServerSslContext.TlsSetupException e) {
                log.error("kop-native: refusing to open Kafka listener {} (security protocol {}): {}", l,
                        l.securityProtocol(), e.getMessage());
                shut.add(l.name());
            }
        }
        if (!shut.isEmpty()) {
            config = KopConfig.from(conf, shut);
        }
        tls = Map.copyOf(opened);
        if (!tls.isEmpty() && settings.refreshSeconds > 0) {
            tlsReloader = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kop-tls-reload");
                t.setDaemon(true);
                return t;
            });
            tlsReloader.scheduleWithFixedDelay(this::reloadTls, settings.refreshSeconds, settings.refreshSeconds,
                    TimeUnit.SECONDS);
        }
    }

    private void reloadTls() {
        for (ServerSslContext ctx : tls.values()) {
            try {
                ctx.reloadIfChanged();
            } catch (RuntimeException e) {
                log.warn("kop-native: Kafka listener {}: TLS reload check failed", ctx.listener(), e);
            }
        }
    }

    @Override
    public String getProtocolDataToAdvertise() {
        return config == null ? "" : config.advertisedListenersText();
    }

    @Override
    public void start(BrokerService service) {
        TopicNames names = new TopicNames(config.effective().get(KopConfig.KAFKA_TENANT),
                config.effective().get(KopConfig.KAFKA_NAMESPACE));
        topics = new TopicMetadataService(service, names, TopicMetadataService.DEFAULT_TIMEOUT_MS);
        partitionLog = new PulsarPartitionLog(service, names, TopicMetadataService.DEFAULT_TIMEOUT_MS);
        topics.setChangeListener(partitionLog::invalidate);
        sasl = SaslAuthenticator.of(service.getAuthenticationService(), config);
        metadata = new KafkaMetadataSetup(service.getPulsar(), config);
        broker = withRealOffsetsPartitions(broker, metadata);
        broker.setAuthorizer(new PulsarAuthorizer(service.getAuthorizationService()));
        broker.setPermissionStore(new PulsarPermissions(service.getAuthorizationService(),
                service.getPulsar().getPulsarResources().getNamespaceResources()));
        // SCRAM users are cluster-wide like tenants: the configuration store (the local one in
        // a single-cluster setup).
        broker.setScramStore(new ScramCredentialStore(service.getPulsar().getConfigurationMetadataStore()));
        offsetsTopics = new OffsetsTopics(service.getPulsar(), config, metadata, offsetsPartitions);
        topics.setOffsetsTopics(offsetsTopics);
        broker.startTicker(NativeBroker.TICK_INTERVAL_MS);
        ownership = new OwnershipListener(broker, offsetsTopics, names.namespace(), partitionLog);
        service.getPulsar().getNamespaceService().addNamespaceBundleOwnershipListener(ownership);
        metadata.start(offsetsPartitions);
        log.info("kop-native: Kafka protocol handler started on broker {}", service.getPulsar().getBrokerId());
    }

    /**
     * The core reads {@code offsetsTopicNumPartitions} once, when it is created (in initialize,
     * before the broker's metadata is reachable). An existing {@code __consumer_offsets} with another
     * partition count wins (the group a consumer belongs to is hashed over the partitions that hold
     * its offsets): then the native broker is created again, with that count, before any
     * connection exists. One metadata-store read, bounded, on the broker's start-up thread.
     */
    private NativeBroker withRealOffsetsPartitions(NativeBroker current, KafkaMetadataSetup setup) {
        int configured = config.offsetsTopicNumPartitions();
        int existing = setup.existingOffsetsPartitions(10_000);
        offsetsPartitions = configured;
        if (existing <= 0 || existing == configured) {
            return current;
        }
        log.warn("kop-native: the group coordinator's topic {} exists with {} partitions, not "
                + "offsetsTopicNumPartitions={}: the group coordinator uses {}", setup.offsetsTopic(), existing,
                configured, existing);
        NativeBroker replacement;
        try {
            replacement = NativeBroker.create(config.toNativeKeysAndValues(
                    Map.of(KopConfig.OFFSETS_TOPIC_NUM_PARTITIONS, Integer.toString(existing))));
        } catch (RuntimeException e) {
            log.error("kop-native: recreating the native core with offsetsTopicNumPartitions={} failed; "
                    + "it keeps {}: {}", existing, configured, e.getMessage());
            return current;
        }
        current.close();
        offsetsPartitions = existing;
        return replacement;
    }

    @Override
    public Map<InetSocketAddress, ChannelInitializer<SocketChannel>> newChannelInitializers() {
        Map<InetSocketAddress, ChannelInitializer<SocketChannel>> out = new LinkedHashMap<>();
        for (Listener l : config.listeners()) {
            out.put(l.bindAddress(), new KafkaChannelInitializer(broker, l, config, topics, partitionLog, sasl,
                    tls.get(l.name())));
            log.info("kop-native: Kafka listener {} on {}", l, l.bindAddress());
        }
        return out;
    }

    @Override
    public void close() {
        if (tlsReloader != null) {
            tlsReloader.shutdownNow();
            tlsReloader = null;
        }
        if (ownership != null) {
            ownership.close();
        }
        if (offsetsTopics != null) {
            offsetsTopics.close();
        }
        if (metadata != null) {
            metadata.close();
        }
        if (broker != null) {
            // Stops and awaits the tick thread, then destroys the native broker.
            broker.close();
            broker = null;
        }
        log.info("kop-native: Kafka protocol handler closed");
    }
}
