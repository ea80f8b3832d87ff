package io.kopnative;

import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JNI declarations (implemented in jni-bridge/src/entry_points.cc; the boundary's rules are in
 * jni-bridge/README.md) and the loading of libkopnative.so.
 *
 * <p>Rules at the boundary:
 * <ul>
 *   <li>Primitives only. Handles are {@code long}s; 0 means "failed" (the reason is already logged).
 *   <li>Request frames go down as (memoryAddress, length) of a direct ByteBuf the caller keeps
 *       retained for the duration of the call; the core copies what it keeps.
 *   <li>Responses come up through {@link KafkaFrameHandler#onNativeSend(long, int)}: the bytes are
 *       native-owned and valid only during that call, so Java copies them.
 *   <li>Native code never throws into Java; errors are return codes plus a log line.
 *   <li>A connection handle is used only on its channel's event loop; so are topic metadata
 *       completions, which Java re-posts there from Pulsar's threads.
 * </ul>
 */
public final class NativeBridge {
    static final String LIBRARY_NAME = "kopnative";
    /** System property naming an absolute path to libkopnative.so (tests, development). */
    static final String LIBRARY_PATH_PROPERTY = "kop.native.library";

    static final int OK = 0;
    static final int ERR_BAD_HANDLE = -1;
    static final int ERR_BAD_ARGUMENT = -2;
    static final int ERR_CORE_FAILURE = -3;

    private static final Logger log = LoggerFactory.getLogger(NativeBridge.class);
    private static final Logger nativeLog = LoggerFactory.getLogger("io.kopnative.native");
    private static volatile boolean loaded;

    private NativeBridge() {
    }

    /**
     * Loads libkopnative.so once per class loader. From the NAR, {@code System.loadLibrary} is
     * resolved by NarClassLoader.findLibrary to META-INF/bundled-dependencies/native/; with the
     * shim on a plain classpath, set -Dkop.native.library=/abs/path/libkopnative.so.
     */
    static synchronized void load() {
        if (loaded) {
            return;
        }
        String path = System.getProperty(LIBRARY_PATH_PROPERTY);
        String from;
        try {
            if (path != null && !path.isBlank()) {
                System.load(path);
                from = path;
            } else {
                System.loadLibrary(LIBRARY_NAME);
                from = "lib" + LIBRARY_NAME + ".so via " + NativeBridge.class.getClassLoader().getClass().getName();
            }
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("kop-native: cannot load the native library lib" + LIBRARY_NAME
                    + ".so (" + e.getMessage() + "); it must be in the NAR under "
                    + "META-INF/bundled-dependencies/native/, or named by -D" + LIBRARY_PATH_PROPERTY, e);
        }
        nativeSetLogLevel(nativeLog.isDebugEnabled() ? 0 : nativeLog.isInfoEnabled() ? 1
                : nativeLog.isWarnEnabled() ? 2 : 3);
        loaded = true;
        log.info("kop-native: native library loaded: {} from {}", nativeVersion(), from);
    }

    /** The log sink of all native code (one upcall per line; the core logs rarely). */
    static void log(int level, byte[] utf8) {
        String message = new String(utf8, StandardCharsets.UTF_8);
        switch (level) {
            case 0 -> nativeLog.debug(message);
            case 1 -> nativeLog.info(message);
            case 2 -> nativeLog.warn(message);
            default -> nativeLog.error(message);
        }
    }

    static native String nativeVersion();

    /** 0 debug, 1 info, 2 warn, 3 error: lines below it are dropped before crossing JNI. */
    static native void nativeSetLogLevel(int minLevel);

    /** Creates the core from flattened key/value pairs; 0 on failure. */
    static native long nativeCreateBroker(String[] keysAndValues);

    /** Drops the shim's reference; open connections keep the core alive until they close. */
    static native void nativeDestroyBroker(long broker);

    /**
     * Opens a core connection whose responses go to {@code handler}; 0 on failure. {@code sasl}: the
     * listener authenticates with SASL, offering {@code saslMechanisms}. {@code advertisedHost}
     * (null: the broker's) and {@code advertisedPort}: the listener's advertised endpoint.
     * {@code tlsRole}: the Pulsar role of the client's TLS certificate (mTLS), null or "" for none.
     */
    static native long nativeOpenConnection(long broker, KafkaFrameHandler handler, boolean sasl,
                                            String[] saslMechanisms, String advertisedHost, int advertisedPort,
                                            String tlsRole);

    /** One request frame without its length prefix; 0 or a negative error code. */
    static native int nativeOnFrame(long connection, long address, int length);

    /** The client's address ("/127.0.0.1") for group members' client_host; 0 or a negative code. */
    static native int nativeSetClientHost(long connection, byte[] host);

    /** A partition no broker owns right now (clients retry): an entry of nativeOnTopicsResolved's leaders. */
    static final int LEADER_NONE = -1;
    /** A partition this broker owns. */
    static final int LEADER_LOCAL = -2;

    /**
     * Completes the core's topic request {@code requestId} (from {@link KafkaFrameHandler#onNativeLookupTopics}
     * or {@link KafkaFrameHandler#onNativeListTopics}) on the channel's event loop. The three arrays
     * have one entry per topic (a lookup: one per requested name, in order). An unknown request id
     * (already completed, or from before a reconnect) is ignored and returns OK; a malformed
     * answer completes the request with error -1 everywhere. 0, or a negative error code.
     *
     * <p>Partition owners: {@code leaders} null means this broker owns every partition; otherwise,
     * for each topic without error, {@code max(partitions, 1)} entries in order, each an index into
     * the node table, {@link #LEADER_NONE} or {@link #LEADER_LOCAL}. The node table ({@code nodeIds},
     * {@code nodeHosts}, {@code nodePorts}: Kafka listeners) lists every other broker of the cluster
     * that serves Kafka, and any other leader; the core lists them all in Metadata (librdkafka drops
     * brokers a Metadata response leaves out). Null arrays: no table, the core keeps its last one.
     */
    static native int nativeOnTopicsResolved(long connection, long requestId, String[] names, int[] partitions,
                                             short[] errors, int[] leaders, int[] nodeIds, String[] nodeHosts,
                                             int[] nodePorts);

    /**
     * Pulsar moved the bundle of {@code __consumer_offsets} partition {@code partition} to
     * ({@code owned}) or away from this broker: the core unloads or may load its groups. Any thread,
     * never after {@link #nativeDestroyBroker}. 0, or a negative error code.
     */
    static native int nativeOffsetsPartitionOwnership(long broker, String tenant, int partition, boolean owned);

    /**
     * Pulsar moved the bundle holding Kafka {@code topic} (UTF-8) partition {@code partition} away
     * from this broker: the core drops idempotent producers' state for it. Any thread, never after
     * {@link #nativeDestroyBroker}. 0, or a negative error code.
     */
    static native int nativePartitionLeft(long broker, byte[] topic, int partition);

    /**
     * Completes the core's append {@code requestId} (from {@link KafkaFrameHandler#onNativeAppend}) on
     * the channel's event loop: a Kafka error code, the base offset of the entry's first record and
     * the log start offset (-1 if unknown), why it was refused (null: no message, the partition's
     * error_message from Produce v8) and the connection's pause for a publish rate limit in ms
     * (the response's throttle_time_ms). An unknown request id is ignored and returns OK;
     * ERR_BAD_HANDLE for a closed connection. 0, or a negative error code.
     */
    static native int nativeOnAppended(long connection, long requestId, short errorCode, long baseOffset,
                                       long logStartOffset, String message, int throttleTimeMs);

    /**
     * Completes the core's read {@code requestId} (from {@link KafkaFrameHandler#onNativeRead}) on the
     * channel's event loop: a Kafka error code, the log start and end offsets, and the stored entries
     * concatenated at native memory [address, address + length), {@code lengths[i]} bytes each. The
     * memory must stay valid until this returns (the core copies what it keeps); lengths that do not
     * add up to {@code length} complete the read with error -1. An unknown request id is ignored and
     * returns OK; ERR_BAD_HANDLE for a closed connection. 0, or a negative error code.
     */
    static native int nativeOnRead(long connection, long requestId, short errorCode, long logStartOffset,
                                   long logEndOffset, long address, int length, int[] lengths);

    /**
     * Completes the core's topic administration {@code requestId} (from
     * {@link KafkaFrameHandler#onNativeTopicAdmin}) on the channel's event loop: a Kafka error code (0 on
     * success) and a message (null or empty for none). An unknown request id is ignored and returns OK;
     * ERR_BAD_HANDLE for a closed connection. 0, or a negative error code.
     */
    static native int nativeOnTopicAdminDone(long connection, long requestId, short errorCode, String message);

    /**
     * Completes the core's subscription call {@code requestId} (from
     * {@link KafkaFrameHandler#onNativeSubscription}) on the channel's event loop with a Kafka error
     * code (0 on success). An unknown request id is ignored and returns OK; ERR_BAD_HANDLE for a
     * closed connection. 0, or a negative error code.
     */
    static native int nativeOnSubscriptionDone(long connection, long requestId, short errorCode);

    /**
     * Completes the core's authorization check {@code requestId} (SecurityPort::Authorize):
     * {@code errorCode} 0 allowed, 29 (TOPIC_AUTHORIZATION_FAILED) refused, anything else the check
     * failed. On the connection's event loop.
     */
    static native int nativeOnAuthorized(long connection, long requestId, short errorCode);

    /**
     * Completes the core's permission call {@code requestId} (SecurityPort::ListPermissions /
     * ChangePermission): {@code errorCode} 0 done, else {@code message} says why. A listing has
     * permission i as (scope, actions) = {@code scopesAndActions[2i], [2i+1]} and (name, role) =
     * {@code namesAndRoles[2i], [2i+1]}; arrays that do not pair up fail the call. On the
     * connection's event loop.
     */
    static native int nativeOnPermissions(long connection, long requestId, short errorCode, String message,
                                          int[] scopesAndActions, String[] namesAndRoles);

    /**
     * Completes a SecurityPort::FetchScramCredential upcall: errorCode 0 with the credential, or 0
     * with a null salt when the user has none; another code when the store failed.
     */
    static native int nativeOnScramFetched(long connection, long requestId, short errorCode, int iterations,
                                           byte[] salt, byte[] storedKey, byte[] serverKey);

    /**
     * Completes a SecurityPort::StoreScramCredential upcall: 0 stored or deleted, 91
     * (RESOURCE_NOT_FOUND) nothing to delete, another code with a message when the store failed.
     */
    static native int nativeOnScramStored(long connection, long requestId, short errorCode, String message);

    /**
     * Completes a SecurityPort::ListScramCredentials upcall: per stored credential its user (UTF-8),
     * Kafka mechanism number (1 SCRAM-SHA-256, 2 SCRAM-SHA-512) and iterations.
     */
    static native int nativeOnScramListed(long connection, long requestId, short errorCode, byte[][] users,
                                          int[] mechanisms, int[] iterations);

    /**
     * Completes a SecurityPort::IsSuperUser upcall: 0 a superuser, 31 (CLUSTER_AUTHORIZATION_FAILED)
     * not, anything else the check failed.
     */
    static native int nativeOnSuperUser(long connection, long requestId, short errorCode);

    /**
     * Runs the tasks the core posted to {@code connection} (from any thread, see
     * {@link KafkaFrameHandler#onNativePost}), in order, on the channel's event loop. ERR_BAD_HANDLE
     * (nothing runs) for a closed or unknown connection. 0, or a negative error code.
     */
    static native int nativeRunPosted(long connection);

    /**
     * Completes a SecurityPort::Authenticate upcall ({@link KafkaFrameHandler#onNativeAuthenticate}):
     * errorCode 0 with the Pulsar role (UTF-8) the credential proves and its expiry in ms since the
     * epoch (0: none), or SASL_AUTHENTICATION_FAILED with a message that never holds the credential.
     * On the connection's event loop. 0, or a negative error code.
     */
    static native int nativeOnAuthenticated(long connection, long requestId, short errorCode, String message,
                                            byte[] role, long expiresAtMs);

    /**
     * Drives the core's time-based work (group session and rebalance timeouts, offset expiry):
     * called about every 100 ms by {@link NativeBroker}'s tick thread, never after
     * {@link #nativeDestroyBroker}. 0, or a negative error code.
     */
    static native int nativeTick(long broker);

    /**
     * Tests only: from any thread, posts a task to {@code connection} that sends the 8-byte frame
     * [length 4][value] on it (the core's own Post is exercised the same way). ERR_BAD_HANDLE for
     * a closed or unknown connection.
     */
    static native int nativeDebugPost(long connection, int value);

    /**
     * Tests only, on the channel's event loop: calls LogPort::CommitSubscription ({@code op} 0) or
     * DeleteSubscription (1) of {@code connection} as the core would; the completion sends the
     * frame [length 4][error code as int16, sign not extended]. ERR_BAD_ARGUMENT when the
     * connection does not support subscriptions (kafkaGroupSubscriptionMirror=false).
     */
    static native int nativeDebugSubscription(long connection, int op, byte[] topic, int partition, byte[] name,
                                              long offset);

    /** Frees the core connection; the handle is invalid afterwards. */
    static native void nativeCloseConnection(long connection);
}
