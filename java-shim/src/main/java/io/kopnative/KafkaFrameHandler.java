package io.kopnative;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kafka connection: hands each length-delimited frame to the native core and writes what the
 * core answers. Everything here runs on the channel's event loop, upcalls from the core included:
 * completions that make the core answer later must be re-posted to this channel's event loop
 * first, which is what keeps responses in request order ({@link #onNativeSend} off the loop still
 * works, Netty hops the write over, but its order against other writes is then not guaranteed).
 *
 * <p>Reference counts: every inbound frame is released in {@link #channelRead} after the native
 * call returns (the core copies what it keeps); a heap or composite frame is first copied into a
 * direct buffer that is released the same way. Response buffers are allocated here and released
 * by Netty once written.
 *
 * <p>The port upcalls' work is {@link PortEndpoints}', which answers through {@link #completeOnLoop}.
 */
public final class KafkaFrameHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(KafkaFrameHandler.class);

    private final NativeBroker broker;
    private final Listener listener;
    private final PortEndpoints endpoints; // the work behind the port upcalls
    private final SaslAuthenticator sasl; // non-null on SASL listeners
    private final Listener advertised; // this listener's advertised endpoint; null: the broker's
    private volatile ChannelHandlerContext ctx; // set once, on the event loop, before the native connection opens
    private long connection;        // native handle; 0 when none
    private boolean closing;        // the core or an error asked to close: drop further frames
    private long throttledUntilNanos; // != 0: reads paused for a Pulsar publish rate limit (pauseReads)
    private boolean inNativeCall;   // re-entrancy guard for upcalls made during nativeOnFrame
    private boolean flushPending;   // responses written during a read, flushed at readComplete
    private boolean releaseDeferred; // channel went away during a native call
    private boolean authenticated;  // a SASL authentication succeeded (larger frames are read from then on)
    private ReadCursors readCursors; // the connection's read cursors; closed with the channel

    KafkaFrameHandler(NativeBroker broker, Listener listener) {
        this(broker, listener, null);
    }

    KafkaFrameHandler(NativeBroker broker, Listener listener, TopicSource topics) {
        this(broker, listener, topics, null);
    }

    KafkaFrameHandler(NativeBroker broker, Listener listener, TopicSource topics, PartitionLog partitionLog) {
        this(broker, listener, topics, partitionLog, null, null);
    }

    /**
     * {@code sasl}: the listener authenticates with SASL through it (null: it does not);
     * {@code advertised}: the listener's advertised endpoint (null: the broker's).
     */
    KafkaFrameHandler(NativeBroker broker, Listener listener, TopicSource topics, PartitionLog partitionLog,
                      SaslAuthenticator sasl, Listener advertised) {
        this.broker = broker;
        this.listener = listener;
        this.sasl = sasl;
        this.advertised = advertised;
        this.endpoints = new PortEndpoints(this, listener, topics, partitionLog);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        readCursors = new ReadCursors(ReadCursors.Loop.of(ctx.channel().eventLoop()));
        // On a TLS listener the native connection opens once the client's certificate identity is
        // known (TlsHandshakeHandler.Identified); no frame reaches this handler before that.
        if (!TlsSettings.usesTls(listener.securityProtocol())) {
            openNative("");
        }
        super.channelActive(ctx);
    }

    // Event loop, once: the native connection, as `tlsRole` (mTLS; "" for none).
    private void openNative(String tlsRole) {
        if (connection != 0 || closing) {
            return;
        }
        connection = broker.openConnection(this, sasl != null, sasl == null ? null : sasl.mechanisms(), advertised,
                tlsRole);
        if (connection == 0) {
            log.warn("[{}] closing Kafka connection on {}: the native core did not accept it",
                    ctx.channel().remoteAddress(), listener);
            closing = true;
            ctx.close();
            return;
        }
        if (ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress remote
                && remote.getAddress() != null) {
            // Kafka shows members' hosts as InetAddress.toString() without a name: "/1.2.3.4".
            NativeBridge.nativeSetClientHost(connection,
                    ("/" + remote.getAddress().getHostAddress()).getBytes(StandardCharsets.UTF_8));
        }
        log.debug("[{}] Kafka connection on {}{}", ctx.channel().remoteAddress(), listener,
                tlsRole.isEmpty() ? "" : " as TLS role " + tlsRole);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (connection == 0 || closing) {
                return;
            }
            int length = frame.readableBytes();
            if (log.isTraceEnabled() && length >= 8) {
                int at = frame.readerIndex();
                log.trace("[{}] request key {} v{} correlation {}", ctx.channel().remoteAddress(),
                        frame.getShort(at), frame.getShort(at + 2), frame.getInt(at + 4));
            }
            ByteBuf direct = frame.hasMemoryAddress() ? frame : copyToDirect(ctx, frame, length);
            try {
                if (!direct.hasMemoryAddress()) {
                    log.error("[{}] closing Kafka connection: no direct buffer with a memory address "
                            + "(is sun.misc.Unsafe available to Netty?)", ctx.channel().remoteAddress());
                    closeAfterFlush();
                    return;
                }
                int rc;
                inNativeCall = true;
                try {
                    rc = NativeBridge.nativeOnFrame(connection, direct.memoryAddress() + direct.readerIndex(),
                            length);
                } finally {
                    inNativeCall = false;
                    if (releaseDeferred) {
                        releaseNative();
                    }
                }
                if (rc != NativeBridge.OK) {
                    log.warn("[{}] closing Kafka connection: native core returned {} for a {}-byte frame",
                            ctx.channel().remoteAddress(), rc, length);
                    closeAfterFlush();
                }
            } finally {
                if (direct != frame) {
                    direct.release();
                }
            }
        } finally {
            frame.release();
        }
    }

    private static ByteBuf copyToDirect(ChannelHandlerContext ctx, ByteBuf frame, int length) {
        ByteBuf direct = ctx.alloc().directBuffer(length, length);
        direct.writeBytes(frame, frame.readerIndex(), length);
        return direct;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    /**
     * Upcall from the core: one complete response frame, length prefix included, at native memory
     * that is valid only during this call.
     */
    void onNativeSend(long address, int length) {
        if (ctx == null || length <= 0 || closing) {
            return;
        }
        ByteBuf out = NativeMemory.copy(ctx.alloc(), address, length);
        if (log.isTraceEnabled() && length >= 8) {
            log.trace("[{}] response correlation {}, {} bytes", remote(), out.getInt(out.readerIndex() + 4), length);
        }
        if (inNativeCall && ctx.executor().inEventLoop()) {
            ctx.write(out, ctx.voidPromise());
            flushPending = true;
        } else {
            ctx.writeAndFlush(out, ctx.voidPromise());
        }
    }

    /**
     * Upcall from the core (TopicPort::Lookup, during nativeOnFrame): resolve {@code names} (UTF-8
     * bytes from the wire) and answer with {@link NativeBridge#nativeOnTopicsResolved} for
     * {@code requestId}, always later, from this channel's event loop, one entry per name in order.
     */
    void onNativeLookupTopics(long requestId, byte[][] names, boolean autoCreate) {
        endpoints.lookupTopics(requestId, names, autoCreate);
    }

    /** Upcall from the core (TopicPort::ListAll): every topic of the Kafka namespace, answered like a lookup. */
    void onNativeListTopics(long requestId) {
        endpoints.listTopics(requestId);
    }

    /** Upcall from the core (TopicPort::ListNamespace): every topic of the namespace of {@code prefix}. */
    void onNativeListNamespace(long requestId, byte[] prefix) {
        endpoints.listNamespace(requestId, prefix);
    }

    /**
     * Upcall from the core (SecurityPort::Authorize, during nativeOnFrame): whether {@code role} may
     * do {@code action} (an {@link Authorizer} action number) on the full Pulsar topic {@code topic},
     * {@code subscription} the group id or empty; answer with {@link NativeBridge#nativeOnAuthorized}
     * for {@code requestId}, always later, from this channel's event loop.
     */
    void onNativeAuthorize(long requestId, byte[] role, byte[] topic, int action, byte[] subscription) {
        endpoints.authorize(requestId, role, topic, action, subscription);
    }

    /**
     * Upcall from the core (SecurityPort::ListPermissions / ChangePermission, during nativeOnFrame):
     * {@code op} a {@link PermissionStore} op, as {@code caller}, in {@code namespace}; for a change,
     * the permission (scope, name, role, actions); answer with {@link NativeBridge#nativeOnPermissions}
     * for {@code requestId}, always later, from this channel's event loop.
     */
    void onNativePermissions(long requestId, int op, byte[] caller, byte[] namespace, int scope, byte[] name,
                             byte[] role, int actions) {
        endpoints.permissions(requestId, op, caller, namespace, scope, name, role, actions);
    }

    /** The broker's permission store (the ACL APIs); null when none is set. */
    PermissionStore permissionStore() {
        return broker.permissionStore();
    }

    /**
     * Upcall from the core (SecurityPort::FetchScramCredential): the SCRAM credential of
     * {@code user} for {@code mechanism}; answer with {@link NativeBridge#nativeOnScramFetched}.
     */
    void onNativeScramFetch(long requestId, byte[] mechanism, byte[] user) {
        endpoints.scramFetch(requestId, mechanism, user);
    }

    /**
     * Upcall from the core (SecurityPort::StoreScramCredential): store (salt, keys, iterations) for
     * (mechanism, user), or delete it when {@code iterations} is 0; answer with
     * {@link NativeBridge#nativeOnScramStored}.
     */
    void onNativeScramStore(long requestId, byte[] mechanism, byte[] user, byte[] salt, byte[] storedKey,
                            byte[] serverKey, int iterations) {
        endpoints.scramStore(requestId, mechanism, user, salt, storedKey, serverKey, iterations);
    }

    /** Upcall from the core (SecurityPort::ListScramCredentials); answer with nativeOnScramListed. */
    void onNativeScramList(long requestId) {
        endpoints.scramList(requestId);
    }

    /** Upcall from the core (SecurityPort::IsSuperUser); answer with {@link NativeBridge#nativeOnSuperUser}. */
    void onNativeIsSuperUser(long requestId, byte[] role) {
        endpoints.isSuperUser(requestId, role);
    }

    /** The broker's SCRAM credential store; null when none is set (unit tests, before start). */
    ScramCredentialStore scramStore() {
        return broker.scramStore();
    }

    /** The broker's Pulsar authorizer; null when none is set (unit tests, before start). */
    Authorizer authorizer() {
        return broker.authorizer();
    }

    /**
     * Upcall from the core (TopicPort::LookupOffsetsOwners, during nativeOnFrame): the broker owning
     * each of {@code partitions} of the offsets topic {@code offsetsTopic} (UTF-8; the connection's
     * tenant's, see {@link OffsetsTopics}), answered with
     * {@link NativeBridge#nativeOnTopicsResolved} for {@code requestId} like a lookup of that many
     * names, always later, from this channel's event loop.
     */
    void onNativeLookupOffsetsOwners(long requestId, byte[] offsetsTopic, int[] partitions) {
        endpoints.lookupOffsetsOwners(requestId, offsetsTopic, partitions);
    }

    /**
     * Upcall from the core (TopicPort::CreateTopic / DeleteTopic / CreatePartitions, during
     * nativeOnFrame): {@code op} 0 create with {@code count} partitions, 1 delete, 2 grow to
     * {@code count} partitions; answer with {@link NativeBridge#nativeOnTopicAdminDone} for
     * {@code requestId}, always later, from this channel's event loop.
     */
    void onNativeTopicAdmin(long requestId, int op, byte[] topic, int count) {
        endpoints.topicAdmin(requestId, op, topic, count);
    }

    /**
     * Upcall from the core (LogPort::Append, during nativeOnFrame): append the stored entry at
     * native memory [address, address + length), valid only during this call, so it is copied
     * before anything else, to (topic, partition); answer with {@link NativeBridge#nativeOnAppended}
     * for {@code requestId}, always later, from this channel's event loop. {@code producerId}: the
     * Kafka batch's producer id (-1 none), or {@link ProducePolicies#BROKER_APPEND}. {@code maxHoldMs}:
     * how long an exceeded producer_request_hold backlog quota may hold it ({@link ProduceHold}).
     */
    void onNativeAppend(long requestId, byte[] topic, int partition, long address, int length, int numRecords,
                        long producerId, int maxHoldMs) {
        endpoints.append(requestId, topic, partition, address, length, numRecords, producerId, maxHoldMs);
    }

    /**
     * A Pulsar publish rate limit was hit (ProducePolicies#throttleMs): stop reading this connection
     * for {@code ms}, as Pulsar's ServerCnx pauses a throttled producer's connection. Event loop.
     */
    void pauseReads(int ms) {
        if (ms <= 0 || ctx == null || closing) {
            return;
        }
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        if (throttledUntilNanos != 0 && until - throttledUntilNanos <= 0) {
            return; // already paused at least that long
        }
        throttledUntilNanos = until;
        ChannelHandlerContext c = ctx;
        c.channel().config().setAutoRead(false);
        try {
            c.executor().schedule(() -> {
                if (throttledUntilNanos == until) {
                    throttledUntilNanos = 0;
                    if (!closing) {
                        c.channel().config().setAutoRead(c.channel().isWritable());
                    }
                }
            }, ms, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            throttledUntilNanos = 0;
            c.channel().config().setAutoRead(c.channel().isWritable());
        }
    }

    /**
     * Upcall from the core (LogPort::Read, during nativeOnFrame): read (topic, partition) from
     * {@code offset}; answer with {@link NativeBridge#nativeOnRead} for {@code requestId}, always
     * later, from this channel's event loop.
     */
    void onNativeRead(long requestId, byte[] topic, int partition, long offset, int maxBytes, int maxWaitMs) {
        endpoints.read(requestId, topic, partition, offset, maxBytes, maxWaitMs);
    }

    /** Operations of {@link #onNativeSubscription}, as the JNI bridge numbers them. */
    static final int SUBSCRIPTION_COMMIT = 0;
    static final int SUBSCRIPTION_DELETE = 1;

    /**
     * Upcall from the core (LogPort::CommitSubscription / DeleteSubscription, on this channel's
     * event loop): {@code op} 0 moves subscription {@code name} of (topic, partition) to the
     * committed {@code offset}, 1 deletes it ({@code offset} -1); answer with
     * {@link NativeBridge#nativeOnSubscriptionDone} for {@code requestId}, always later, from this
     * channel's event loop.
     */
    void onNativeSubscription(long requestId, int op, byte[] topic, int partition, byte[] name, long offset) {
        endpoints.subscription(requestId, op, topic, partition, name, offset);
    }

    /**
     * Upcall from the core (SecurityPort::Authenticate, during nativeOnFrame): check
     * {@code credential} (UTF-8, never logged) with the broker's Pulsar provider for
     * {@code method}; answer with {@link NativeBridge#nativeOnAuthenticated} for {@code requestId},
     * always later, from this channel's event loop.
     */
    void onNativeAuthenticate(long requestId, byte[] method, byte[] credential) {
        endpoints.authenticate(requestId, sasl, method, credential, remoteSocket(), sslSession());
    }

    /**
     * Upcall from the core after a failed SASL authentication: like {@link #onNativeClose}, but
     * the response is held and the connection closed only after
     * connection.failed.authentication.delay.ms, as Kafka does, so that a client guessing
     * credentials cannot retry at once. Nothing more is read meanwhile.
     */
    void onNativeCloseFailedAuth() {
        long delay = sasl == null ? 0 : sasl.failedDelayMs();
        if (closing || ctx == null) {
            return;
        }
        if (delay <= 0) {
            closeAfterFlush();
            return;
        }
        closing = true;
        flushPending = false; // the response waits in the outbound buffer
        ChannelHandlerContext c = ctx;
        c.channel().config().setAutoRead(false);
        try {
            c.executor().schedule(() -> {
                c.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            c.close();
        }
    }

    /** Whether the client authenticated with SASL on this connection. Event loop only. */
    boolean authenticated() {
        return authenticated;
    }

    /** The provider accepted the client's credential (the core may still refuse it). Event loop only. */
    void markAuthenticated() {
        authenticated = true;
    }

    private java.net.SocketAddress remoteSocket() {
        return ctx == null ? null : ctx.channel().remoteAddress();
    }

    // The TLS session of an SSL or SASL_SSL listener, for providers that look at it; null otherwise.
    private SSLSession sslSession() {
        SslHandler ssl = ctx == null ? null : ctx.pipeline().get(SslHandler.class);
        return ssl == null ? null : ssl.engine().getSession();
    }

    /** The peer, for log lines; "?" before the channel is active. */
    Object remote() {
        return ctx == null ? "?" : ctx.channel().remoteAddress();
    }

    /** A downcall that completes one of the core's port calls on the open native connection. */
    @FunctionalInterface
    interface NativeCompletion {
        /** 0, or a negative NativeBridge error code. */
        int run(long connection);
    }

    /**
     * Any thread: runs {@code completion} on the channel's event loop against the open native
     * connection, flushes what the core wrote during it, and closes the connection if the core
     * failed. Dropped when the connection is closed by then (the core dropped its callbacks with
     * it) or the event loop is gone. {@code cleanup} (may be null) runs exactly once afterwards,
     * delivered or dropped.
     */
    void completeOnLoop(String what, NativeCompletion completion, Runnable cleanup) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            runCleanup(cleanup);
            return;
        }
        try {
            c.channel().eventLoop().execute(() -> {
                try {
                    deliver(what, completion);
                } finally {
                    runCleanup(cleanup);
                }
            });
        } catch (RejectedExecutionException e) {
            runCleanup(cleanup);
            log.debug("[{}] {} completion dropped: event loop shut down", remote(), what);
        }
    }

    private static void runCleanup(Runnable cleanup) {
        if (cleanup != null) {
            cleanup.run();
        }
    }

    // Event loop only.
    private void deliver(String what, NativeCompletion completion) {
        if (connection == 0 || closing) {
            log.debug("[{}] {} completion dropped: the connection is closing", remote(), what);
            return; // the connection is gone: the core dropped its callbacks with it
        }
        int rc;
        inNativeCall = true;
        try {
            rc = completion.run(connection);
        } catch (RuntimeException e) {
            log.warn("[{}] completing {} failed", remote(), what, e);
            rc = NativeBridge.ERR_CORE_FAILURE;
        } finally {
            inNativeCall = false;
            if (releaseDeferred) {
                releaseNative();
            }
        }
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
        if (rc != NativeBridge.OK && rc != NativeBridge.ERR_BAD_HANDLE) {
            log.warn("[{}] closing Kafka connection: native core returned {} for {}", remote(), rc, what);
            closeAfterFlush();
        }
    }

    /**
     * Upcall from the core's ResponseSink::Post, from ANY thread (the bridge holds the connection's
     * post lock): schedule {@link NativeBridge#nativeRunPosted} on this channel's event loop. Must
     * not call native code itself.
     */
    void onNativePost() {
        completeOnLoop("posted tasks", NativeBridge::nativeRunPosted, null);
    }

    /** The native connection handle (tests); 0 when none. Event loop only. */
    long nativeConnection() {
        return connection;
    }

    /** Upcall from the core: flush what was sent, then close (Kafka's answer to bad frames). */
    void onNativeClose() {
        log.debug("[{}] native core closes the Kafka connection", remote());
        closeAfterFlush();
    }

    private void closeAfterFlush() {
        if (closing || ctx == null) {
            return;
        }
        closing = true;
        flushPending = false;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Back-pressure: a client that sends requests but does not read its responses stops being read
     * once Netty's outbound buffer passes its high-water mark, and is read again below the low one.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (throttledUntilNanos == 0) { // a rate-limit pause resumes reading itself (pauseReads)
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof TlsHandshakeHandler.Identified identified) {
            openNative(identified.role());
            return;
        }
        if (evt instanceof IdleStateEvent) {
            log.debug("[{}] closing idle Kafka connection", ctx.channel().remoteAddress());
            closeAfterFlush();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            log.warn("[{}] closing Kafka connection on {}: request frame larger than {} ({})",
                    ctx.channel().remoteAddress(), listener, authenticated || sasl == null ? "kafkaMaxFrameSize"
                            : KopConfig.SASL_SERVER_MAX_RECEIVE_SIZE, cause.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("[{}] Kafka connection I/O error: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("[{}] closing Kafka connection after an error", ctx.channel().remoteAddress(), cause);
        }
        closing = true;
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseNative();
        closeReadCursors();
        endpoints.closed();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseNative();
        closeReadCursors();
        endpoints.closed();
    }

    // Event loop: deletes the connection's cached cursors (those in use once their read completes).
    private void closeReadCursors() {
        if (readCursors != null) {
            readCursors.closeAll();
        }
    }

    /** The connection's read cursors (reads, tests); null before the channel is active. Event loop only. */
    ReadCursors readCursors() {
        return readCursors;
    }

    private void releaseNative() {
        closing = true;
        if (inNativeCall) {
            releaseDeferred = true;
            return;
        }
        releaseDeferred = false;
        if (connection != 0) {
            long c = connection;
            connection = 0;
            NativeBridge.nativeCloseConnection(c);
        }
    }
}
