package io.kopnative;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.broker.ServiceConfigurationUtils;
import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.naming.TopicDomain;
import org.apache.pulsar.common.naming.TopicName;

/**
 * The handler's settings, read from broker.conf (unknown keys land in
 * {@link ServiceConfiguration#getProperties()}) under KoP's key names and defaults, so a KoP
 * user keeps their broker.conf. docs/configuration.md lists every key read here.
 */
public final class KopConfig {
    static final String INDEX_INTERCEPTOR =
            "org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor";

    // Key names: KoP's where KoP had the setting.
    static final String KAFKA_LISTENERS = "kafkaListeners";
    static final String LEGACY_LISTENERS = "listeners"; // KoP's deprecated alias
    static final String KAFKA_ADVERTISED_LISTENERS = "kafkaAdvertisedListeners";
    static final String KAFKA_PROTOCOL_MAP = "kafkaProtocolMap";
    static final String KAFKA_TENANT = "kafkaTenant";
    static final String KAFKA_NAMESPACE = "kafkaNamespace";
    static final String KAFKA_METADATA_TENANT = "kafkaMetadataTenant";
    static final String KAFKA_METADATA_NAMESPACE = "kafkaMetadataNamespace";
    static final String ENTRY_FORMAT = "entryFormat";
    static final String OFFSETS_TOPIC_NUM_PARTITIONS = "offsetsTopicNumPartitions";
    static final String CONNECTION_MAX_IDLE_MS = "connectionMaxIdleMs";
    // KoP hard-coded 100 MiB (MAX_FRAME_LENGTH); this key is ours (Kafka: socket.request.max.bytes).
    static final String KAFKA_MAX_FRAME_SIZE = "kafkaMaxFrameSize";
    // The group coordinator's settings (KoP's names and defaults; Kafka's offsets.* / group.*).
    static final String OFFSETS_RETENTION_MINUTES = "offsetsRetentionMinutes";
    static final String OFFSETS_RETENTION_CHECK_INTERVAL_MS = "offsetsRetentionCheckIntervalMs";
    static final String OFFSET_METADATA_MAX_SIZE = "offsetMetadataMaxSize";
    static final String OFFSET_COMMIT_TIMEOUT_MS = "offsetCommitTimeoutMs";
    static final String GROUP_MIN_SESSION_TIMEOUT_MS = "groupMinSessionTimeoutMs";
    static final String GROUP_MAX_SESSION_TIMEOUT_MS = "groupMaxSessionTimeoutMs";
    static final String GROUP_INITIAL_REBALANCE_DELAY_MS = "groupInitialRebalanceDelayMs";
    // Kafka's group.max.size; KoP had no such key.
    static final String GROUP_MAX_SIZE = "groupMaxSize";
    // Ours: mirror committed offsets into durable Pulsar subscriptions named after the group.
    static final String KAFKA_GROUP_SUBSCRIPTION_MIRROR = "kafkaGroupSubscriptionMirror";
    /** KoP's key: each tenant's groups in persistent://{tenant}/{kafkaMetadataNamespace}/__consumer_offsets. */
    static final String KAFKA_ENABLE_MULTI_TENANT_METADATA = "kafkaEnableMultiTenantMetadata";
    // Ours (issue 11): open listeners that do not authenticate although Pulsar authentication is on.
    static final String KAFKA_ALLOW_UNAUTHENTICATED_LISTENERS = "kafkaAllowUnauthenticatedListeners";
    // KoP's key (Kafka: ssl.client.auth): the side-door rule and TLS (TlsSettings reads every kopSsl* key).
    // KoP's keys (issue 11): how long and how many Pulsar authorization answers a connection keeps.
    static final String KOP_AUTHORIZATION_CACHE_REFRESH_MS = "kopAuthorizationCacheRefreshMs";
    static final String KOP_AUTHORIZATION_CACHE_MAX_COUNT = "kopAuthorizationCacheMaxCountPerConnection";
    // Pulsar's own keys, passed to the core: authorization on, and the role of a client without one.
    static final String AUTHORIZATION_ENABLED = "authorizationEnabled";
    static final String ANONYMOUS_USER_ROLE = "anonymousUserRole";
    static final String KOP_SSL_CLIENT_AUTH = "kopSslClientAuth";

    static final String OFFSETS_TOPIC_NAME = "__consumer_offsets";
    static final String DEFAULT_LISTENERS = "PLAINTEXT://127.0.0.1:9092";
    static final int DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024;
    static final long DEFAULT_CONNECTION_MAX_IDLE_MS = 600_000L;
    static final Set<String> SUPPORTED_SECURITY_PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
    /** KoP's key: the SASL mechanisms SASL listeners offer, comma separated. */
    static final String SASL_ALLOWED_MECHANISMS = "saslAllowedMechanisms";
    static final List<String> SUPPORTED_SASL_MECHANISMS =
            List.of("PLAIN", "OAUTHBEARER", "SCRAM-SHA-256", "SCRAM-SHA-512");
    /** Kafka's connections.max.reauth.ms (KIP-368), KoP-style: caps a SASL session's lifetime; 0 = no cap. */
    static final String CONNECTIONS_MAX_REAUTH_MS = "connectionsMaxReauthMs";
    /** Kafka's key: how long a connection waits to be closed after a failed authentication. */
    static final String FAILED_AUTHENTICATION_DELAY_MS = "connection.failed.authentication.delay.ms";
    static final long DEFAULT_FAILED_AUTHENTICATION_DELAY_MS = 100;
    /** Kafka's key: the largest request frame a SASL listener reads before authentication. */
    static final String SASL_SERVER_MAX_RECEIVE_SIZE = "sasl.server.max.receive.size";
    static final long DEFAULT_SASL_SERVER_MAX_RECEIVE_SIZE = 524_288;
    static final Set<String> ENTRY_FORMATS = Set.of("pulsar", "kafka");

    private final List<Listener> listeners;          // the ones that open
    private final List<Listener> refusedListeners;   // not opened: see ListenerPolicy
    private final List<Listener> unauthenticatedListeners; // opened through the override, with a warning
    private final List<Listener> advertisedListeners;
    private final String advertisedListenersText;
    private final int maxFrameSize;
    private final long connectionMaxIdleMs;
    private final Map<String, String> effective; // key -> value after defaults, for the core
    private final Map<String, String> raw;       // every string property of broker.conf
    private final TlsSettings tls;               // for the SSL and SASL_SSL listeners

    private KopConfig(ListenerSplit split, List<Listener> advertisedListeners, int maxFrameSize,
                      long connectionMaxIdleMs, Map<String, String> effective, Map<String, String> raw,
                      TlsSettings tls) {
        this.tls = tls;
        this.listeners = split.open();
        this.refusedListeners = split.refused();
        this.unauthenticatedListeners = split.unauthenticated();
        this.advertisedListeners = advertisedListeners;
        this.advertisedListenersText = advertisedListeners.stream().map(Listener::toString)
                .collect(Collectors.joining(","));
        this.maxFrameSize = maxFrameSize;
        this.connectionMaxIdleMs = connectionMaxIdleMs;
        this.effective = effective;
        this.raw = raw;
    }

    /**
     * Validates and reads the configuration. Throws {@link IllegalArgumentException} with a message
     * that names the key when the broker must not start.
     */
    public static KopConfig from(ServiceConfiguration conf) {
        return from(conf, Set.of());
    }

    /**
     * As {@link #from(ServiceConfiguration)}, with the listeners named in {@code shut} refused too
     * (neither opened nor advertised): the handler's second pass for TLS listeners whose
     * certificate could not be loaded.
     */
    public static KopConfig from(ServiceConfiguration conf, Set<String> shut) {
        Properties props = conf.getProperties() == null ? new Properties() : conf.getProperties();
        Map<String, String> raw = new LinkedHashMap<>();
        for (String key : props.stringPropertyNames()) {
            raw.put(key, props.getProperty(key));
        }
        checkIndexInterceptor(conf.getBrokerEntryMetadataInterceptors());

        Map<String, String> effective = new LinkedHashMap<>();
        Map<String, String> protocolMap = parseProtocolMap(get(raw, KAFKA_PROTOCOL_MAP, ""));
        String listenersText = get(raw, KAFKA_LISTENERS, null);
        if (listenersText == null) {
            listenersText = get(raw, LEGACY_LISTENERS, DEFAULT_LISTENERS);
        }
        List<Listener> listeners = Listener.parseList(KAFKA_LISTENERS, listenersText, protocolMap);
        for (Listener l : listeners) {
            if (!SUPPORTED_SECURITY_PROTOCOLS.contains(l.securityProtocol())) {
                throw new IllegalArgumentException(KAFKA_LISTENERS + ": listener " + l + " uses security protocol "
                        + l.securityProtocol() + ", which kop-native does not support yet (supported: "
                        + SUPPORTED_SECURITY_PROTOCOLS + ")");
            }
        }
        String advertisedText = get(raw, KAFKA_ADVERTISED_LISTENERS, listenersText);
        String advertisedHost = ServiceConfigurationUtils.getDefaultOrConfiguredAddress(conf.getAdvertisedAddress());
        List<Listener> advertised = Listener.parseList(KAFKA_ADVERTISED_LISTENERS, advertisedText, protocolMap)
                .stream().map(l -> resolveAdvertisedHost(l, advertisedHost)).collect(Collectors.toList());
        for (Listener l : listeners) {
            if (advertised.stream().noneMatch(a -> a.name().equals(l.name()))) {
                throw new IllegalArgumentException(KAFKA_ADVERTISED_LISTENERS + " has no entry for listener "
                        + l.name() + " of " + KAFKA_LISTENERS);
            }
        }
        boolean allowUnauthenticated = getBoolean(raw, KAFKA_ALLOW_UNAUTHENTICATED_LISTENERS, false);
        effective.put(KAFKA_ALLOW_UNAUTHENTICATED_LISTENERS, Boolean.toString(allowUnauthenticated));
        TlsSettings tls = TlsSettings.from(raw, conf);
        ListenerSplit split = ListenerSplit.of(listeners, conf.isAuthenticationEnabled(), allowUnauthenticated,
                get(raw, KOP_SSL_CLIENT_AUTH, "none")).shut(shut);
        // A refused listener is not advertised either: other brokers then send no Kafka client to it.
        List<Listener> advertisedOpen = advertised.stream()
                .filter(a -> split.refused().stream().noneMatch(r -> r.name().equals(a.name())))
                .collect(Collectors.toList());

        effective.put(KAFKA_LISTENERS, listenersText);
        effective.put(KAFKA_TENANT, get(raw, KAFKA_TENANT, "public"));
        effective.put(KAFKA_NAMESPACE, get(raw, KAFKA_NAMESPACE, "default"));
        effective.put(KAFKA_METADATA_TENANT, get(raw, KAFKA_METADATA_TENANT, "public"));
        effective.put(KAFKA_METADATA_NAMESPACE, get(raw, KAFKA_METADATA_NAMESPACE, "__kafka"));
        String entryFormat = get(raw, ENTRY_FORMAT, "pulsar").toLowerCase(Locale.ROOT);
        if (!ENTRY_FORMATS.contains(entryFormat)) {
            throw new IllegalArgumentException(ENTRY_FORMAT + "=" + entryFormat + " is not supported (use one of "
                    + ENTRY_FORMATS + ")");
        }
        effective.put(ENTRY_FORMAT, entryFormat);
        int offsetsPartitions = (int) getLong(raw, OFFSETS_TOPIC_NUM_PARTITIONS, 50, 1, 100_000);
        effective.put(OFFSETS_TOPIC_NUM_PARTITIONS, Integer.toString(offsetsPartitions));
        int maxFrameSize = (int) getLong(raw, KAFKA_MAX_FRAME_SIZE, DEFAULT_MAX_FRAME_SIZE, 1024,
                Integer.MAX_VALUE - 4);
        effective.put(KAFKA_MAX_FRAME_SIZE, Integer.toString(maxFrameSize));
        long idleMs = getLong(raw, CONNECTION_MAX_IDLE_MS, DEFAULT_CONNECTION_MAX_IDLE_MS, -1, Long.MAX_VALUE);
        effective.put(CONNECTION_MAX_IDLE_MS, Long.toString(idleMs));
        checkNamespace(effective, KAFKA_TENANT, KAFKA_NAMESPACE);
        checkNamespace(effective, KAFKA_METADATA_TENANT, KAFKA_METADATA_NAMESPACE);

        // Group coordinator settings: passed to the core, which reads them by these names.
        putLong(effective, raw, OFFSETS_RETENTION_MINUTES, 4320, 1, Integer.MAX_VALUE);
        putLong(effective, raw, OFFSETS_RETENTION_CHECK_INTERVAL_MS, 600_000, 1, Long.MAX_VALUE);
        putLong(effective, raw, OFFSET_METADATA_MAX_SIZE, 4096, 0, Integer.MAX_VALUE);
        putLong(effective, raw, OFFSET_COMMIT_TIMEOUT_MS, 5000, 1, Integer.MAX_VALUE);
        long minSession = putLong(effective, raw, GROUP_MIN_SESSION_TIMEOUT_MS, 6000, 0, Integer.MAX_VALUE);
        long maxSession = putLong(effective, raw, GROUP_MAX_SESSION_TIMEOUT_MS, 300_000, 0, Integer.MAX_VALUE);
        if (minSession > maxSession) {
            throw new IllegalArgumentException(GROUP_MIN_SESSION_TIMEOUT_MS + "=" + minSession + " is larger than "
                    + GROUP_MAX_SESSION_TIMEOUT_MS + "=" + maxSession);
        }
        putLong(effective, raw, GROUP_INITIAL_REBALANCE_DELAY_MS, 3000, 0, Integer.MAX_VALUE);
        putLong(effective, raw, GROUP_MAX_SIZE, Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
        effective.put(KAFKA_GROUP_SUBSCRIPTION_MIRROR,
                Boolean.toString(getBoolean(raw, KAFKA_GROUP_SUBSCRIPTION_MIRROR, true)));
        effective.put(KAFKA_ENABLE_MULTI_TENANT_METADATA,
                Boolean.toString(getBoolean(raw, KAFKA_ENABLE_MULTI_TENANT_METADATA, true)));
        effective.put(SASL_ALLOWED_MECHANISMS, String.join(",", parseSaslMechanisms(get(raw,
                SASL_ALLOWED_MECHANISMS, "PLAIN"))));
        putLong(effective, raw, CONNECTIONS_MAX_REAUTH_MS, 0, 0, Long.MAX_VALUE);
        putLong(effective, raw, FAILED_AUTHENTICATION_DELAY_MS, DEFAULT_FAILED_AUTHENTICATION_DELAY_MS, 0,
                Integer.MAX_VALUE);
        putLong(effective, raw, SASL_SERVER_MAX_RECEIVE_SIZE, DEFAULT_SASL_SERVER_MAX_RECEIVE_SIZE, 1024,
                Integer.MAX_VALUE);
        // Pulsar authorization (docs/security.md, "Authorization"): 0 keeps no answer.
        putLong(effective, raw, KOP_AUTHORIZATION_CACHE_REFRESH_MS, 30_000, 0, Integer.MAX_VALUE);
        putLong(effective, raw, KOP_AUTHORIZATION_CACHE_MAX_COUNT, 100, 1, 1_000_000);
        effective.put(AUTHORIZATION_ENABLED, Boolean.toString(conf.isAuthorizationEnabled()));
        if (conf.getAnonymousUserRole() != null && !conf.getAnonymousUserRole().isEmpty()) {
            effective.put(ANONYMOUS_USER_ROLE, conf.getAnonymousUserRole());
        }

        KopConfig c = new KopConfig(split, advertisedOpen, maxFrameSize, idleMs, effective, raw, tls);
        // The core's own endpoint; with every listener refused it serves no client, any entry does.
        Listener first = advertisedOpen.isEmpty() ? advertised.get(0) : advertisedOpen.get(0);
        effective.put(KAFKA_ADVERTISED_LISTENERS, c.advertisedListenersText);
        effective.put("kop.advertised.host", first.host());
        effective.put("kop.advertised.port", Integer.toString(first.port()));
        effective.put("kop.node.id", Integer.toString(nodeId(first.host(), first.port())));
        effective.put("kop.cluster.id", conf.getClusterName() == null ? "" : conf.getClusterName());
        effective.put("kop.broker.entry.metadata.interceptors",
                String.join(",", conf.getBrokerEntryMetadataInterceptors()));
        return c;
    }

    /** The configured listeners sorted by {@link ListenerPolicy}. */
    private record ListenerSplit(List<Listener> open, List<Listener> refused, List<Listener> unauthenticated) {
        static ListenerSplit of(List<Listener> listeners, boolean pulsarAuthentication, boolean allowUnauthenticated,
                                String sslClientAuth) {
            List<Listener> open = new ArrayList<>();
            List<Listener> refused = new ArrayList<>();
            List<Listener> unauthenticated = new ArrayList<>();
            for (Listener l : listeners) {
                switch (ListenerPolicy.decide(pulsarAuthentication, allowUnauthenticated, l.securityProtocol(),
                        sslClientAuth)) {
                    case REFUSE -> refused.add(l);
                    case OPEN_UNAUTHENTICATED -> {
                        unauthenticated.add(l);
                        open.add(l);
                    }
                    default -> open.add(l);
                }
            }
            return new ListenerSplit(List.copyOf(open), List.copyOf(refused), List.copyOf(unauthenticated));
        }

        /** Moves the listeners named in {@code names} from open to refused. */
        ListenerSplit shut(Set<String> names) {
            if (names.isEmpty()) {
                return this;
            }
            List<Listener> refusedToo = new ArrayList<>(refused);
            open.stream().filter(l -> names.contains(l.name())).forEach(refusedToo::add);
            return new ListenerSplit(open.stream().filter(l -> !names.contains(l.name())).toList(),
                    List.copyOf(refusedToo),
                    unauthenticated.stream().filter(l -> !names.contains(l.name())).toList());
        }
    }

    /** saslAllowedMechanisms: PLAIN, OAUTHBEARER, SCRAM-SHA-256/512, comma separated; else the start stops. */
    static List<String> parseSaslMechanisms(String text) {
        List<String> out = new ArrayList<>();
        for (String raw : text.split(",")) {
            String m = raw.trim().toUpperCase(Locale.ROOT);
            if (m.isEmpty()) {
                continue;
            }
            if (!SUPPORTED_SASL_MECHANISMS.contains(m)) {
                throw new IllegalArgumentException(SASL_ALLOWED_MECHANISMS + ": mechanism " + raw.trim()
                        + " is not supported (supported: " + String.join(", ", SUPPORTED_SASL_MECHANISMS) + ")");
            }
            if (!out.contains(m)) {
                out.add(m);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(SASL_ALLOWED_MECHANISMS + " lists no mechanism (supported: "
                    + String.join(", ", SUPPORTED_SASL_MECHANISMS) + ")");
        }
        return out;
    }

    private static void checkIndexInterceptor(Set<String> interceptors) {
        if (interceptors == null || !interceptors.contains(INDEX_INTERCEPTOR)) {
            throw new IllegalArgumentException("kop-native needs Kafka offsets from Pulsar's broker entry index: set "
                    + "brokerEntryMetadataInterceptors=" + INDEX_INTERCEPTOR + " in broker.conf (currently "
                    + (interceptors == null ? "[]" : interceptors) + ")");
        }
    }

    // A listener advertised as 0.0.0.0, an empty host or KoP's "advertisedAddress" placeholder gets
    // the broker's advertised address, as KoP did.
    private static Listener resolveAdvertisedHost(Listener l, String advertisedHost) {
        String host = l.host();
        if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("advertisedAddress")) {
            return new Listener(l.name(), l.securityProtocol(), advertisedHost, l.port());
        }
        return l;
    }

    // A stable, non-negative id per advertised endpoint (KoP: Murmur3_32 of host + port), so every
    // broker names the same node the same way without coordination.
    static int nodeId(String host, int port) {
        byte[] bytes = (host + port).getBytes(StandardCharsets.UTF_8);
        int h = com.google.common.hash.Hashing.murmur3_32_fixed().hashBytes(bytes).asInt();
        return h & Integer.MAX_VALUE;
    }

    private static Map<String, String> parseProtocolMap(String text) {
        if (text.isBlank()) {
            return Collections.emptyMap();
        }
        Map<String, String> map = new HashMap<>();
        for (String entry : text.split(",")) {
            String e = entry.trim();
            if (e.isEmpty()) {
                continue;
            }
            int colon = e.indexOf(':');
            if (colon <= 0 || colon == e.length() - 1) {
                throw new IllegalArgumentException(KAFKA_PROTOCOL_MAP + ": '" + e + "' is not NAME:PROTOCOL");
            }
            map.put(e.substring(0, colon).trim().toUpperCase(Locale.ROOT),
                    e.substring(colon + 1).trim().toUpperCase(Locale.ROOT));
        }
        return map;
    }

    // The tenant and namespace under these keys must make a valid Pulsar namespace name.
    private static void checkNamespace(Map<String, String> effective, String tenantKey, String namespaceKey) {
        String tenant = effective.get(tenantKey);
        String namespace = effective.get(namespaceKey);
        try {
            NamespaceName.get(tenant, namespace);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(tenantKey + "=" + tenant + ", " + namespaceKey + "=" + namespace
                    + " is not a valid Pulsar namespace: " + e.getMessage(), e);
        }
    }

    private static long putLong(Map<String, String> effective, Map<String, String> raw, String key, long def,
                                long min, long max) {
        long n = getLong(raw, key, def, min, max);
        effective.put(key, Long.toString(n));
        return n;
    }

    private static boolean getBoolean(Map<String, String> raw, String key, boolean def) {
        String v = get(raw, key, null);
        if (v == null) {
            return def;
        }
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException(key + "=" + v + " is not true or false");
    }

    private static String get(Map<String, String> raw, String key, String def) {
        String v = raw.get(key);
        return v == null || v.isBlank() ? def : v.trim();
    }

    private static long getLong(Map<String, String> raw, String key, long def, long min, long max) {
        String v = get(raw, key, null);
        if (v == null) {
            return def;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + v + " is not a number", e);
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(key + "=" + v + " is out of range [" + min + ", " + max + "]");
        }
        return n;
    }

    /** The listeners to open: the configured ones minus {@link #refusedListeners()}. */
    public List<Listener> listeners() {
        return listeners;
    }

    /**
     * Listeners not opened: an unauthenticated side door (see {@link ListenerPolicy}), or named in
     * {@code shut} (a TLS listener without a usable certificate).
     */
    public List<Listener> refusedListeners() {
        return refusedListeners;
    }

    /** Open listeners that let unauthenticated clients in although Pulsar authentication is on (the override). */
    public List<Listener> unauthenticatedListeners() {
        return unauthenticatedListeners;
    }

    /** The TLS settings (kopSsl* keys, Pulsar's PEM files) of the SSL and SASL_SSL listeners. */
    TlsSettings tls() {
        return tls;
    }

    public List<Listener> advertisedListeners() {
        return advertisedListeners;
    }

    /**
     * What Pulsar publishes for this broker under protocols.kafka (KoP: kafkaAdvertisedListeners),
     * without the refused listeners; empty when every listener is refused.
     */
    public String advertisedListenersText() {
        return advertisedListenersText;
    }

    public int maxFrameSize() {
        return maxFrameSize;
    }

    public long connectionMaxIdleMs() {
        return connectionMaxIdleMs;
    }

    /** The SASL mechanisms SASL listeners offer ({@code saslAllowedMechanisms}), in order. */
    public List<String> saslMechanisms() {
        return List.of(effective.get(SASL_ALLOWED_MECHANISMS).split(","));
    }

    /** {@code connection.failed.authentication.delay.ms}. */
    public long failedAuthenticationDelayMs() {
        return Long.parseLong(effective.get(FAILED_AUTHENTICATION_DELAY_MS));
    }

    /** {@code sasl.server.max.receive.size}. */
    public long saslServerMaxReceiveSize() {
        return Long.parseLong(effective.get(SASL_SERVER_MAX_RECEIVE_SIZE));
    }

    public Map<String, String> effective() {
        return Collections.unmodifiableMap(effective);
    }

    /** Whether committed offsets are mirrored into Pulsar subscriptions ({@code kafkaGroupSubscriptionMirror}). */
    public boolean groupSubscriptionMirror() {
        return Boolean.parseBoolean(effective.get(KAFKA_GROUP_SUBSCRIPTION_MIRROR));
    }

    /** Whether each tenant keeps its own group metadata ({@code kafkaEnableMultiTenantMetadata}). */
    public boolean multiTenantMetadata() {
        return Boolean.parseBoolean(effective.get(KAFKA_ENABLE_MULTI_TENANT_METADATA));
    }

    /** Configured partitions of {@code __consumer_offsets} ({@code offsetsTopicNumPartitions}). */
    public int offsetsTopicNumPartitions() {
        return Integer.parseInt(effective.get(OFFSETS_TOPIC_NUM_PARTITIONS));
    }

    /** Retention of the metadata namespace, in minutes ({@code offsetsRetentionMinutes}). */
    public int offsetsRetentionMinutes() {
        return Integer.parseInt(effective.get(OFFSETS_RETENTION_MINUTES));
    }

    /** The namespace of the group coordinator's topic ({@code kafkaMetadataTenant/kafkaMetadataNamespace}). */
    public NamespaceName metadataNamespace() {
        return NamespaceName.get(effective.get(KAFKA_METADATA_TENANT), effective.get(KAFKA_METADATA_NAMESPACE));
    }

    /** The group coordinator's partitioned topic: {@code persistent://{metadata namespace}/__consumer_offsets}. */
    public TopicName offsetsTopic() {
        return TopicName.get(TopicDomain.persistent.value(), metadataNamespace(), OFFSETS_TOPIC_NAME);
    }

    /** The same topic in {@code tenant}'s metadata namespace (per-tenant group metadata). */
    public TopicName offsetsTopic(String tenant) {
        return TopicName.get(TopicDomain.persistent.value(),
                NamespaceName.get(tenant, effective.get(KAFKA_METADATA_NAMESPACE)), OFFSETS_TOPIC_NAME);
    }

    /**
     * Everything the core gets: every broker.conf property, overridden by the effective values
     * (defaults applied) and the kop.* values only the shim knows, flattened key, value, key, ...
     */
    public String[] toNativeKeysAndValues() {
        return toNativeKeysAndValues(Map.of());
    }

    /** As {@link #toNativeKeysAndValues()}, with {@code overrides} (values found at start-up) last. */
    public String[] toNativeKeysAndValues(Map<String, String> overrides) {
        Map<String, String> all = new LinkedHashMap<>(raw);
        all.putAll(effective);
        all.putAll(overrides);
        String[] out = new String[all.size() * 2];
        int i = 0;
        for (Map.Entry<String, String> e : all.entrySet()) {
            out[i++] = e.getKey();
            out[i++] = e.getValue();
        }
        return out;
    }
}
