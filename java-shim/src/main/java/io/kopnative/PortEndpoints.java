package io.kopnative;

import io.netty.buffer.ByteBuf;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;
import org.apache.pulsar.common.allocator.PulsarByteBufAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work behind the core's port upcalls on one connection: {@link KafkaFrameHandler}'s
 * onNative* methods delegate here. TopicPort calls (lookups, listing, administration) go to the
 * broker's {@link TopicSource}, LogPort calls (appends, reads, subscriptions) to its
 * {@link PartitionLog}. Every call is answered always later, through {@link #answer}: the port's
 * future completes on any thread, a failure becomes an error answer, and the answer is delivered
 * to the core on the channel's event loop ({@link KafkaFrameHandler#completeOnLoop}), which keeps
 * responses in request order.
 */
final class PortEndpoints {
    private static final Logger log = LoggerFactory.getLogger(PortEndpoints.class);

    private final KafkaFrameHandler handler;
    private final TopicSource topics; // null: no broker (unit tests), lookups fail with -1
    private final PartitionLog partitionLog; // null: no broker (unit tests), appends fail with -1
    private final TopicTableEncoder tables;

    PortEndpoints(KafkaFrameHandler handler, Listener listener, TopicSource topics, PartitionLog partitionLog) {
        this.handler = handler;
        this.topics = topics;
        this.partitionLog = partitionLog;
        this.tables = new TopicTableEncoder(topics, listener);
    }

    /**
     * The one shape of every answer: runs the port {@code call} (a throw counts as its failure);
     * once its future completes, on any thread, a failure or a missing result is logged as a
     * warning (only when {@code warn}: without a port, failing is expected) and replaced by
     * {@code fallback} of why; then {@code post} hands the answer to the core on the channel's
     * event loop.
     */
    private <T> void answer(String what, boolean warn, Supplier<CompletableFuture<T>> call,
                            Function<String, T> fallback, Consumer<T> post) {
        CompletableFuture<T> f;
        try {
            f = call.get();
        } catch (Throwable t) {
            f = CompletableFuture.failedFuture(t);
        }
        f.whenComplete((result, error) -> {
            if (error != null || result == null) {
                String why = error == null ? "no result" : TopicMetadataService.unwrap(error).toString();
                if (warn) {
                    log.warn("[{}] {} failed: {}", handler.remote(), what, why);
                }
                result = fallback.apply(why);
            }
            post.accept(result);
        });
    }

    /** TopicPort::Lookup: see {@link KafkaFrameHandler#onNativeLookupTopics}. */
    void lookupTopics(long requestId, byte[][] names, boolean autoCreate) {
        int n = names == null ? 0 : names.length;
        List<String> decoded = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            decoded.add(decodeUtf8(names[i]));
        }
        if (log.isDebugEnabled()) {
            log.debug("[{}] topic lookup {}: {} (create: {})", handler.remote(), requestId, decoded, autoCreate);
        }
        answer("topic lookup", topics != null,
                () -> topics == null ? noPort("no topic metadata service")
                        : topics.lookup(decoded, autoCreate).thenApply(r -> r != null && r.size() == n ? r : null),
                why -> {
                    List<TopicMetadataService.TopicResult> failed = new ArrayList<>(n);
                    for (String name : decoded) {
                        failed.add(TopicMetadataService.TopicResult.error(name, KafkaErrors.UNKNOWN_SERVER_ERROR));
                    }
                    return failed;
                },
                results -> postTopics(requestId, results));
    }

    /** TopicPort::ListAll: every topic of the Kafka namespace, answered like a lookup. */
    void listTopics(long requestId) {
        answer("listing the topics of the Kafka namespace", true,
                () -> topics == null ? CompletableFuture.completedFuture(List.of()) : topics.listAll(),
                why -> List.of(), results -> postTopics(requestId, results));
    }

    /** TopicPort::ListNamespace: every topic of the namespace of {@code prefix}, answered like a lookup. */
    void listNamespace(long requestId, byte[] prefix) {
        String decoded = decodeUtf8(prefix);
        answer("listing the topics of " + decoded, topics != null,
                () -> topics == null || decoded == null ? noPort("no topic metadata service")
                        : topics.listNamespace(decoded),
                why -> List.of(), results -> postTopics(requestId, results));
    }

    /**
     * SecurityPort::Authorize: see {@link KafkaFrameHandler#onNativeAuthorize}. Allowed answers
     * NONE, refused TOPIC_AUTHORIZATION_FAILED; a check that failed (exception, timeout, no
     * authorizer) is logged once as a warning and answers UNKNOWN_SERVER_ERROR, which the core
     * refuses without caching. The role and topic are logged, never a credential.
     */
    void authorize(long requestId, byte[] role, byte[] topic, int action, byte[] subscription) {
        Authorizer authorizer = handler.authorizer();
        String r = decodeUtf8(role);
        String t = decodeUtf8(topic);
        String s = decodeUtf8(subscription);
        answer("authorization of role " + r + " for action " + action + " on " + t, true,
                () -> authorizer == null || r == null || t == null ? noPort("no authorizer or undecodable names")
                        : authorizer.authorize(r, t, action, s == null ? "" : s).orTimeout(
                                TopicMetadataService.DEFAULT_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
                                .thenApply(ok -> ok ? KafkaErrors.NONE : KafkaErrors.TOPIC_AUTHORIZATION_FAILED),
                why -> KafkaErrors.UNKNOWN_SERVER_ERROR,
                code -> handler.completeOnLoop("an authorization check",
                        c -> NativeBridge.nativeOnAuthorized(c, requestId, code), null));
    }

    /**
     * SecurityPort::ListPermissions / ChangePermission: see
     * {@link KafkaFrameHandler#onNativePermissions}. A failed call (exception, timeout, no store) is
     * logged as a warning and answers UNKNOWN_SERVER_ERROR; nothing is granted then.
     */
    void permissions(long requestId, int op, byte[] caller, byte[] namespace, int scope, byte[] name, byte[] role,
                     int actions) {
        PermissionStore store = handler.permissionStore();
        String c = decodeUtf8(caller);
        String ns = decodeUtf8(namespace);
        PermissionStore.Entry change = new PermissionStore.Entry(scope, decodeUtf8(name), decodeUtf8(role), actions);
        answer("permission call " + op + " by role " + c + " in " + ns, true,
                () -> store == null || c == null || ns == null || change.name() == null || change.role() == null
                        ? noPort("no permission store or undecodable names")
                        : store.call(op, c, ns, change).orTimeout(TopicMetadataService.DEFAULT_TIMEOUT_MS,
                                java.util.concurrent.TimeUnit.MILLISECONDS),
                why -> PermissionStore.Result.error(KafkaErrors.UNKNOWN_SERVER_ERROR,
                        "Pulsar's permissions could not be reached"),
                r -> handler.completeOnLoop("a permission call", conn -> {
                    int n = r.entries().size();
                    int[] ints = new int[2 * n];
                    String[] strings = new String[2 * n];
                    for (int i = 0; i < n; i++) {
                        PermissionStore.Entry e = r.entries().get(i);
                        ints[2 * i] = e.scope();
                        ints[2 * i + 1] = e.actions();
                        strings[2 * i] = e.name();
                        strings[2 * i + 1] = e.role();
                    }
                    return NativeBridge.nativeOnPermissions(conn, requestId, r.error(), r.message(), ints, strings);
                }, null));
    }

    /**
     * SecurityPort::FetchScramCredential: the store's credential, none for an unknown user; a
     * failure answers UNKNOWN_SERVER_ERROR (the core fails the exchange). Only the user is logged.
     */
    void scramFetch(long requestId, byte[] mechanism, byte[] user) {
        ScramCredentialStore store = handler.scramStore();
        String m = decodeUtf8(mechanism);
        String u = decodeUtf8(user);
        answer("reading the " + m + " credential of user " + u, true,
                () -> store == null || m == null || u == null ? noPort("no SCRAM store or undecodable names")
                        : store.get(m, u).thenApply(Optional::of),
                why -> Optional.<Optional<ScramCredentialStore.Credential>>empty(),
                found -> handler.completeOnLoop("a SCRAM credential fetch", c -> {
                    if (found.isEmpty()) {
                        return NativeBridge.nativeOnScramFetched(c, requestId, KafkaErrors.UNKNOWN_SERVER_ERROR, 0,
                                null, null, null);
                    }
                    ScramCredentialStore.Credential x = found.get().orElse(null);
                    return x == null ? NativeBridge.nativeOnScramFetched(c, requestId, KafkaErrors.NONE, 0, null, null,
                            null) : NativeBridge.nativeOnScramFetched(c, requestId, KafkaErrors.NONE, x.iterations(),
                            x.salt(), x.storedKey(), x.serverKey());
                }, null));
    }

    /** SecurityPort::StoreScramCredential: a put, or a delete when {@code iterations} is 0. */
    void scramStore(long requestId, byte[] mechanism, byte[] user, byte[] salt, byte[] storedKey, byte[] serverKey,
                    int iterations) {
        ScramCredentialStore store = handler.scramStore();
        String m = decodeUtf8(mechanism);
        String u = decodeUtf8(user);
        answer((iterations == 0 ? "deleting" : "storing") + " the " + m + " credential of user " + u, true,
                () -> {
                    if (store == null || m == null || u == null) {
                        return noPort("no SCRAM store or undecodable names");
                    }
                    if (iterations == 0) {
                        return store.delete(m, u).thenApply(found -> found ? KafkaErrors.NONE
                                : KafkaErrors.RESOURCE_NOT_FOUND);
                    }
                    return store.put(m, u, new ScramCredentialStore.Credential(salt, storedKey, serverKey, iterations))
                            .thenApply(v -> KafkaErrors.NONE);
                },
                why -> KafkaErrors.UNKNOWN_SERVER_ERROR,
                code -> handler.completeOnLoop("a SCRAM credential update", c -> NativeBridge.nativeOnScramStored(c,
                        requestId, code, code == KafkaErrors.UNKNOWN_SERVER_ERROR
                                ? "the credential could not be written to Pulsar's metadata store" : null), null));
    }

    /** SecurityPort::ListScramCredentials: users, mechanisms and iterations, never keys. */
    void scramList(long requestId) {
        ScramCredentialStore store = handler.scramStore();
        answer("listing the SCRAM credentials", true,
                () -> store == null ? noPort("no SCRAM store") : store.list().thenApply(Optional::of),
                why -> Optional.<List<ScramCredentialStore.Listed>>empty(),
                listed -> handler.completeOnLoop("a SCRAM credential listing", c -> {
                    if (listed.isEmpty()) {
                        return NativeBridge.nativeOnScramListed(c, requestId, KafkaErrors.UNKNOWN_SERVER_ERROR, null,
                                null, null);
                    }
                    List<ScramCredentialStore.Listed> all = listed.get();
                    byte[][] users = new byte[all.size()][];
                    int[] mechanisms = new int[all.size()];
                    int[] iterations = new int[all.size()];
                    for (int i = 0; i < all.size(); i++) {
                        users[i] = all.get(i).user().getBytes(StandardCharsets.UTF_8);
                        mechanisms[i] = all.get(i).mechanism();
                        iterations[i] = all.get(i).iterations();
                    }
                    return NativeBridge.nativeOnScramListed(c, requestId, KafkaErrors.NONE, users, mechanisms,
                            iterations);
                }, null));
    }

    /** SecurityPort::IsSuperUser, answered by Pulsar's AuthorizationService.isSuperUser. */
    void isSuperUser(long requestId, byte[] role) {
        Authorizer authorizer = handler.authorizer();
        String r = decodeUtf8(role);
        answer("the superuser check of role " + r, true,
                () -> authorizer == null || r == null ? noPort("no authorizer or undecodable role")
                        : authorizer.isSuperUser(r).orTimeout(TopicMetadataService.DEFAULT_TIMEOUT_MS,
                                java.util.concurrent.TimeUnit.MILLISECONDS)
                                .thenApply(ok -> ok ? KafkaErrors.NONE : KafkaErrors.CLUSTER_AUTHORIZATION_FAILED),
                why -> KafkaErrors.UNKNOWN_SERVER_ERROR,
                code -> handler.completeOnLoop("a superuser check",
                        c -> NativeBridge.nativeOnSuperUser(c, requestId, code), null));
    }

    /** TopicPort::LookupOffsetsOwners: see {@link KafkaFrameHandler#onNativeLookupOffsetsOwners}. */
    void lookupOffsetsOwners(long requestId, byte[] offsetsTopic, int[] partitions) {
        int[] asked = partitions == null ? new int[0] : partitions;
        postTable(requestId, tables.encodeOffsetsOwners(decodeUtf8(offsetsTopic), asked));
    }

    // Any thread: resolves the owners of every partition of the topics found, then completes the
    // core's topic request on the channel's event loop.
    private void postTopics(long requestId, List<TopicMetadataService.TopicResult> results) {
        postTable(requestId, tables.encode(results));
    }

    private void postTable(long requestId, CompletableFuture<TopicTableEncoder.TopicTable> table) {
        table.thenAccept(t -> {
            if (log.isDebugEnabled()) {
                log.debug("[{}] topic lookup {} resolved: {} topics, leaders {}, nodes {}", handler.remote(),
                        requestId, t.names().length, t.leaders() == null ? "all here" : Arrays.toString(t.leaders()),
                        t.nodes() == null ? List.of() : t.nodes());
            }
            int[] nodeIds = t.nodeIds();
            String[] nodeHosts = t.nodeHosts();
            int[] nodePorts = t.nodePorts();
            handler.completeOnLoop("topic metadata", c -> NativeBridge.nativeOnTopicsResolved(c, requestId,
                    t.names(), t.partitions(), t.errors(), t.leaders(), nodeIds, nodeHosts, nodePorts), null);
        });
    }

    /** TopicPort::CreateTopic / DeleteTopic / CreatePartitions: see {@link KafkaFrameHandler#onNativeTopicAdmin}. */
    void topicAdmin(long requestId, int op, byte[] topic, int count) {
        answer("topic administration", topics != null,
                () -> topics == null ? noPort("no topic metadata service")
                        : topics.admin(op, decodeUtf8(topic), count),
                why -> new TopicMetadataService.AdminResult(KafkaErrors.UNKNOWN_SERVER_ERROR, why),
                r -> handler.completeOnLoop("topic administration",
                        c -> NativeBridge.nativeOnTopicAdminDone(c, requestId, r.error(), r.message()), null));
    }

    /**
     * LogPort::Append: see {@link KafkaFrameHandler#onNativeAppend}. The entry at native memory is
     * copied first, before anything else: it is valid only during the upcall.
     */
    void append(long requestId, byte[] topic, int partition, long address, int length, int numRecords,
                long producerId, int maxHoldMs) {
        answer("append", partitionLog != null, () -> {
            if (length < 0 || (length > 0 && address == 0)) {
                throw new IllegalArgumentException("bad entry memory: " + length + " bytes at " + address);
            }
            ByteBuf entry = NativeMemory.copy(PulsarByteBufAllocator.DEFAULT, address, length); // pooled
            if (partitionLog == null) {
                entry.release();
                return noPort("no partition log");
            }
            return partitionLog.append(this, producerId, maxHoldMs, decodeUtf8(topic), partition, entry,
                    numRecords);
        }, why -> PartitionLog.AppendResult.error(KafkaErrors.UNKNOWN_SERVER_ERROR),
                r -> handler.completeOnLoop("an append", c -> {
                    handler.pauseReads(r.throttleTimeMs());
                    return NativeBridge.nativeOnAppended(c, requestId, r.error(), r.baseOffset(), r.logStartOffset(),
                            r.message(), r.throttleTimeMs());
                }, null));
    }

    /** The connection closed (event loop; may be called twice): see {@link PartitionLog#connectionClosed}. */
    void closed() {
        if (partitionLog != null) {
            partitionLog.connectionClosed(this);
        }
    }

    /** LogPort::Read: see {@link KafkaFrameHandler#onNativeRead}. */
    void read(long requestId, byte[] topic, int partition, long offset, int maxBytes, int maxWaitMs) {
        ReadCursors cursors = handler.readCursors();
        answer("read", partitionLog != null,
                () -> partitionLog == null ? noPort("no partition log")
                        : partitionLog.read(cursors, decodeUtf8(topic), partition, offset, maxBytes, maxWaitMs),
                why -> PartitionLog.ReadResult.error(KafkaErrors.UNKNOWN_SERVER_ERROR),
                r -> postRead(requestId, r));
    }

    // Any thread: completes the core's read on the channel's event loop. The entries' buffer is
    // released once the downcall returned, or when the completion is dropped.
    private void postRead(long requestId, PartitionLog.ReadResult r) {
        handler.completeOnLoop("a read", c -> {
            ByteBuf data = r.data();
            int[] lengths = r.lengths() == null ? new int[0] : r.lengths();
            if (data == null || data.readableBytes() == 0) {
                return NativeBridge.nativeOnRead(c, requestId, r.error(), r.logStartOffset(), r.logEndOffset(), 0, 0,
                        lengths);
            }
            if (!data.hasMemoryAddress()) {
                log.warn("[{}] read entries are not in a direct buffer with an address", handler.remote());
                return NativeBridge.nativeOnRead(c, requestId, KafkaErrors.UNKNOWN_SERVER_ERROR, -1, -1, 0, 0,
                        new int[0]);
            }
            return NativeBridge.nativeOnRead(c, requestId, r.error(), r.logStartOffset(), r.logEndOffset(),
                    data.memoryAddress() + data.readerIndex(), data.readableBytes(), lengths);
        }, () -> releaseData(r));
    }

    private static void releaseData(PartitionLog.ReadResult r) {
        if (r.data() != null) {
            r.data().release();
        }
    }

    /** LogPort::CommitSubscription / DeleteSubscription: see {@link KafkaFrameHandler#onNativeSubscription}. */
    void subscription(long requestId, int op, byte[] topic, int partition, byte[] name, long offset) {
        answer("subscription call", partitionLog != null, () -> {
            if (partitionLog == null) {
                return noPort("no partition log");
            } else if (op == KafkaFrameHandler.SUBSCRIPTION_COMMIT) {
                return partitionLog.commitSubscription(decodeUtf8(topic), partition, decodeUtf8(name), offset);
            } else if (op == KafkaFrameHandler.SUBSCRIPTION_DELETE) {
                return partitionLog.deleteSubscription(decodeUtf8(topic), partition, decodeUtf8(name));
            }
            return CompletableFuture.failedFuture(new IllegalArgumentException("unknown subscription operation " + op));
        }, why -> KafkaErrors.UNKNOWN_SERVER_ERROR,
                code -> handler.completeOnLoop("a subscription call",
                        c -> NativeBridge.nativeOnSubscriptionDone(c, requestId, code), null));
    }

    /**
     * SecurityPort::Authenticate: see {@link KafkaFrameHandler#onNativeAuthenticate}. The core logs
     * the outcome (client address, mechanism, reason); nothing here logs the credential.
     */
    void authenticate(long requestId, SaslAuthenticator sasl, byte[] method, byte[] credential,
                      SocketAddress remote, SSLSession ssl) {
        answer("authentication", false,
                () -> sasl == null
                        ? CompletableFuture.completedFuture(
                                SaslAuthenticator.Outcome.failed("this listener does not authenticate"))
                        : sasl.authenticate(decodeUtf8(method), decodeUtf8(credential), remote, ssl),
                why -> SaslAuthenticator.Outcome.failed("the broker could not check the credential"),
                o -> handler.completeOnLoop("an authentication", c -> {
                    if (o.error() == 0) {
                        handler.markAuthenticated();
                    }
                    return NativeBridge.nativeOnAuthenticated(c, requestId, o.error(), o.message(),
                            o.role() == null ? null : o.role().getBytes(StandardCharsets.UTF_8), o.expiresAtMs());
                }, null));
    }

    private static <T> CompletableFuture<T> noPort(String what) {
        return CompletableFuture.failedFuture(new IllegalStateException(what));
    }

    private static String decodeUtf8(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null; // not a valid name: TopicMetadataService answers INVALID_TOPIC_EXCEPTION
        }
    }
}
