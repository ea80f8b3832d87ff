package io.kopnative;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the native broker handle. Opening a connection and destroying the broker are serialized,
 * so a channel accepted while the handler closes never sees a freed handle. The core's
 * Broker::Tick is driven from one daemon thread ("kop-native-tick"), which {@link #close} stops
 * and awaits before the handle is destroyed.
 */
final class NativeBroker implements AutoCloseable {
    static final long TICK_INTERVAL_MS = 100;
    private static final Logger log = LoggerFactory.getLogger(NativeBroker.class);

    private volatile long handle;
    private ScheduledExecutorService ticker; // guarded by this
    private final AtomicLong ticks = new AtomicLong();
    private volatile PermissionStore permissions; // namespace policies, once the broker started
    private volatile ScramCredentialStore scramStore; // Pulsar's configuration metadata store
    private volatile Authorizer authorizer; // Pulsar's AuthorizationService, once the broker started

    private NativeBroker(long handle) {
        this.handle = handle;
    }

    static NativeBroker create(String[] keysAndValues) {
        long h = NativeBridge.nativeCreateBroker(keysAndValues);
        if (h == 0) {
            throw new IllegalStateException("kop-native: the native core refused to start (see the "
                    + "io.kopnative.native log lines above)");
        }
        return new NativeBroker(h);
    }

    /** A native connection handle for {@code handler}, or 0 if the broker is closed or refused. */
    synchronized long openConnection(KafkaFrameHandler handler) {
        return openConnection(handler, false, null, null, "");
    }

    /**
     * As {@link #openConnection(KafkaFrameHandler)}, on a listener that authenticates with SASL
     * ({@code sasl}) offering {@code saslMechanisms}, advertised as {@code advertised} (null: the
     * broker's first advertised listener), for a client whose TLS certificate proved {@code tlsRole}
     * ("" for none).
     */
    synchronized long openConnection(KafkaFrameHandler handler, boolean sasl, String[] saslMechanisms,
                                     Listener advertised, String tlsRole) {
        return handle == 0 ? 0 : NativeBridge.nativeOpenConnection(handle, handler, sasl, saslMechanisms,
                advertised == null ? null : advertised.host(), advertised == null ? -1 : advertised.port(), tlsRole);
    }

    /** Starts ticking the core every {@code intervalMs} (once; ignored when closed or already ticking). */
    synchronized void startTicker(long intervalMs) {
        if (handle == 0 || ticker != null) {
            return;
        }
        ClassLoader loader = NativeBroker.class.getClassLoader();
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kop-native-tick");
            t.setDaemon(true);
            t.setContextClassLoader(loader);
            return t;
        });
        // Fixed delay: a slow tick delays the next one instead of bunching them up.
        ticker.scheduleWithFixedDelay(this::tick, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    // The tick thread only. Never throws: an exception would cancel every later tick.
    private void tick() {
        try {
            long h = handle;
            if (h == 0) {
                return;
            }
            int rc = NativeBridge.nativeTick(h);
            if (rc == NativeBridge.OK) {
                ticks.incrementAndGet();
            } else {
                log.warn("kop-native: the native core's tick returned {}", rc);
            }
        } catch (Throwable t) {
            log.error("kop-native: the native core's tick failed", t);
        }
    }

    /**
     * Tells the core that Pulsar moved the bundle of partition {@code partition} of
     * {@code tenant}'s {@code __consumer_offsets} to ({@code owned}) or away from this broker. Any
     * thread; serialized with {@link #close}, so the handle is never used after it is destroyed.
     */
    synchronized void offsetsPartitionOwnership(String tenant, int partition, boolean owned) {
        if (handle == 0) {
            return;
        }
        int rc = NativeBridge.nativeOffsetsPartitionOwnership(handle, tenant, partition, owned);
        if (rc != NativeBridge.OK) {
            log.warn("kop-native: telling the core about partition {} of tenant {}'s offsets topic returned {}",
                    partition, tenant, rc);
        }
    }

    /** Tells the core that Kafka (topic, partition) left this broker; see {@link NativeBridge#nativePartitionLeft}. */
    synchronized void partitionLeft(String topic, int partition) {
        if (handle == 0) {
            return;
        }
        int rc = NativeBridge.nativePartitionLeft(handle, topic.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                partition);
        if (rc != NativeBridge.OK) {
            log.warn("kop-native: telling the core that {} partition {} left returned {}", topic, partition, rc);
        }
    }

    /** Sets the authorizer connections ask (SecurityPort::Authorize); see {@link PulsarAuthorizer}. */
    void setAuthorizer(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    Authorizer authorizer() {
        return authorizer;
    }

    /** Sets where the ACL APIs read and change permissions; see {@link PulsarPermissions}. */
    void setPermissionStore(PermissionStore permissions) {
        this.permissions = permissions;
    }

    PermissionStore permissionStore() {
        return permissions;
    }

    /** Sets where SCRAM credentials are kept (SecurityPort's SCRAM calls). */
    void setScramStore(ScramCredentialStore store) {
        this.scramStore = store;
    }

    /** The SCRAM credential store; null before start (and in unit tests without one). */
    ScramCredentialStore scramStore() {
        return scramStore;
    }

    /** How many ticks the core completed (tests). */
    long ticks() {
        return ticks.get();
    }

    @Override
    public synchronized void close() {
        if (ticker != null) {
            ticker.shutdownNow();
            try {
                if (!ticker.awaitTermination(30, TimeUnit.SECONDS)) {
                    // The handle must outlive a running tick: leak it rather than free it under the core.
                    log.error("kop-native: the tick thread did not stop in 30 s; the native broker is not destroyed");
                    handle = 0;
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                log.error("kop-native: interrupted while stopping the tick thread; the native broker is not destroyed");
                handle = 0;
                return;
            }
            ticker = null;
        }
        if (handle != 0) {
            long h = handle;
            handle = 0;
            NativeBridge.nativeDestroyBroker(h);
        }
    }
}
