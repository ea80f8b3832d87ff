package io.kopnative;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.apache.pulsar.common.allocator.PulsarByteBufAllocator;
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
 */
public final class KafkaFrameHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(KafkaFrameHandler.class);

    private final NativeBroker broker;
    private final Listener listener;
    private final TopicSource topics; // null: no broker (unit tests), lookups fail with -1
    private final PartitionLog partitionLog; // null: no broker (unit tests), appends fail with -1
    private volatile ChannelHandlerContext ctx; // set once, on the event loop, before the native connection opens
    private long connection;        // native handle; 0 when none
    private boolean closing;        // the core or an error asked to close: drop further frames
    private boolean inNativeCall;   // re-entrancy guard for upcalls made during nativeOnFrame
    private boolean flushPending;   // responses written during a read, flushed at readComplete
    private boolean releaseDeferred; // channel went away during a native call
    private ReadCursors readCursors; // the connection's read cursors; closed with the channel

    KafkaFrameHandler(NativeBroker broker, Listener listener) {
        this(broker, listener, null);
    }

    KafkaFrameHandler(NativeBroker broker, Listener listener, TopicSource topics) {
        this(broker, listener, topics, null);
    }

    KafkaFrameHandler(NativeBroker broker, Listener listener, TopicSource topics, PartitionLog partitionLog) {
        this.broker = broker;
        this.listener = listener;
        this.topics = topics;
        this.partitionLog = partitionLog;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        readCursors = new ReadCursors(ReadCursors.Loop.of(ctx.channel().eventLoop()));
        connection = broker.openConnection(this);
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
                    ("/" + remote.getAddress().getHostAddress()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        log.debug("[{}] Kafka connection on {}", ctx.channel().remoteAddress(), listener);
        super.channelActive(ctx);
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
        ByteBuf out = ctx.alloc().directBuffer(length, length);
        boolean ok = false;
        try {
            if (out.hasMemoryAddress()) {
                PlatformDependent.copyMemory(address, out.memoryAddress() + out.writerIndex(), length);
                out.writerIndex(out.writerIndex() + length);
            } else {
                ByteBuf src = Unpooled.wrappedBuffer(address, length, false);
                try {
                    out.writeBytes(src);
                } finally {
                    src.release();
                }
            }
            ok = true;
        } finally {
            if (!ok) {
                out.release();
            }
        }
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
        int n = names == null ? 0 : names.length;
        List<String> decoded = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            decoded.add(decodeUtf8(names[i]));
        }
        if (log.isDebugEnabled()) {
            log.debug("[{}] topic lookup {}: {} (create: {})", remote(), requestId, decoded, autoCreate);
        }
        CompletableFuture<List<TopicMetadataService.TopicResult>> f;
        try {
            f = topics == null ? CompletableFuture.failedFuture(new IllegalStateException("no topic metadata service"))
                    : topics.lookup(decoded, autoCreate);
        } catch (Throwable t) {
            f = CompletableFuture.failedFuture(t);
        }
        f.whenComplete((results, error) -> {
            if (error != null || results == null || results.size() != n) {
                if (error != null && topics != null) {
                    log.warn("[{}] topic lookup failed: {}", remote(), TopicMetadataService.unwrap(error).toString());
                }
                List<TopicMetadataService.TopicResult> failed = new ArrayList<>(n);
                for (String name : decoded) {
                    failed.add(TopicMetadataService.TopicResult.error(name,
                            KafkaErrors.UNKNOWN_SERVER_ERROR));
                }
                results = failed;
            }
            postTopics(requestId, results);
        });
    }

    /** Upcall from the core (TopicPort::ListAll): every topic of the Kafka namespace, answered like a lookup. */
    void onNativeListTopics(long requestId) {
        CompletableFuture<List<TopicMetadataService.TopicResult>> f;
        try {
            f = topics == null ? CompletableFuture.completedFuture(List.of()) : topics.listAll();
        } catch (Throwable t) {
            f = CompletableFuture.failedFuture(t);
        }
        f.whenComplete((results, error) -> {
            if (error != null || results == null) {
                log.warn("[{}] listing the topics of the Kafka namespace failed: {}", remote(),
                        error == null ? "no result" : TopicMetadataService.unwrap(error).toString());
                results = List.of();
            }
            postTopics(requestId, results);
        });
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

    private Object remote() {
        return ctx == null ? "?" : ctx.channel().remoteAddress();
    }

    // Any thread: resolves the owners of every partition of the topics found, then completes the
    // core's topic request on the channel's event loop.
    private void postTopics(long requestId, List<TopicMetadataService.TopicResult> results) {
        int n = results.size();
        List<CompletableFuture<List<PartitionOwners.Node>>> owners = new ArrayList<>(n);
        for (TopicMetadataService.TopicResult r : results) {
            CompletableFuture<List<PartitionOwners.Node>> f;
            try {
                f = r.error() != KafkaErrors.NONE || topics == null
                        ? CompletableFuture.completedFuture(null)
                        : topics.owners(r.name(), r.partitions(), listener.name());
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
        CompletableFuture.allOf(owners.toArray(new CompletableFuture<?>[0])).whenComplete((v, t) -> {
            List<List<PartitionOwners.Node>> resolved = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                resolved.add(owners.get(i).getNow(null));
            }
            completeTopics(requestId, results, resolved, others.getNow(null));
        });
    }

    /**
     * Encodes topics and their owners for nativeOnTopicsResolved. A topic whose owners are unknown
     * (null) is reported as this broker's; with no remote or missing owner at all, no leaders are
     * sent (every partition is this broker's). The node table starts with the cluster's other Kafka
     * brokers ({@code cluster}; null: unknown, no table is sent and the core keeps its last one).
     */
    private void completeTopics(long requestId, List<TopicMetadataService.TopicResult> results,
                                List<List<PartitionOwners.Node>> owners, List<PartitionOwners.Node> cluster) {
        int n = results.size();
        String[] names = new String[n];
        int[] partitions = new int[n];
        short[] errors = new short[n];
        List<PartitionOwners.Node> table = new ArrayList<>();
        Map<PartitionOwners.Node, Integer> index = new HashMap<>();
        if (cluster != null) {
            for (PartitionOwners.Node node : cluster) {
                if (node != null && node != PartitionOwners.Node.LOCAL) {
                    index.computeIfAbsent(node, k -> {
                        table.add(k);
                        return table.size() - 1;
                    });
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
                    leaders.add(index.computeIfAbsent(node, k -> {
                        table.add(k);
                        return table.size() - 1;
                    }));
                    anyRemote = true;
                }
            }
        }
        if (log.isDebugEnabled()) {
            log.debug("[{}] topic lookup {} resolved: {} topics, leaders {}, nodes {}", remote(), requestId, n,
                    anyRemote ? leaders : "all here", table);
        }
        final int[] leaderArray = anyRemote ? leaders.stream().mapToInt(Integer::intValue).toArray() : null;
        final boolean withTable = cluster != null || anyRemote;
        final int[] nodeIds = withTable ? table.stream().mapToInt(PartitionOwners.Node::id).toArray() : null;
        final String[] nodeHosts = withTable ? table.stream().map(PartitionOwners.Node::host).toArray(String[]::new)
                : null;
        final int[] nodePorts = withTable ? table.stream().mapToInt(PartitionOwners.Node::port).toArray() : null;
        completeOnLoop("topic metadata", c -> NativeBridge.nativeOnTopicsResolved(c, requestId, names, partitions,
                errors, leaderArray, nodeIds, nodeHosts, nodePorts), null);
    }

    /**
     * Upcall from the core (TopicPort::CreateTopic / DeleteTopic / CreatePartitions, during
     * nativeOnFrame): {@code op} 0 create with {@code count} partitions, 1 delete, 2 grow to
     * {@code count} partitions; answer with {@link NativeBridge#nativeOnTopicAdminDone} for
     * {@code requestId}, always later, from this channel's event loop.
     */
    void onNativeTopicAdmin(long requestId, int op, byte[] topic, int count) {
        CompletableFuture<TopicMetadataService.AdminResult> f;
        try {
            f = topics == null ? CompletableFuture.failedFuture(new IllegalStateException("no topic metadata service"))
                    : topics.admin(op, decodeUtf8(topic), count);
        } catch (Throwable t) {
            f = CompletableFuture.failedFuture(t);
        }
        f.whenComplete((result, error) -> {
            if (error != null || result == null) {
                String message = error == null ? "no result" : TopicMetadataService.unwrap(error).toString();
                if (topics != null) {
                    log.warn("[{}] topic administration failed: {}", remote(), message);
                }
                result = new TopicMetadataService.AdminResult(KafkaErrors.UNKNOWN_SERVER_ERROR, message);
            }
            postAdminDone(requestId, result);
        });
    }

    // Any thread: completes the core's topic administration call on the channel's event loop.
    private void postAdminDone(long requestId, TopicMetadataService.AdminResult r) {
        completeOnLoop("topic administration",
                c -> NativeBridge.nativeOnTopicAdminDone(c, requestId, r.error(), r.message()), null);
    }

    /**
     * Upcall from the core (LogPort::Append, during nativeOnFrame): append the stored entry at
     * native memory [address, address + length), valid only during this call, so it is copied here
     * before anything else, to (topic, partition); answer with {@link NativeBridge#nativeOnAppended}
     * for {@code requestId}, always later, from this channel's event loop.
     */
    void onNativeAppend(long requestId, byte[] topic, int partition, long address, int length, int numRecords) {
        CompletableFuture<PartitionLog.AppendResult> f;
        try {
            if (length < 0 || (length > 0 && address == 0)) {
                throw new IllegalArgumentException("bad entry memory: " + length + " bytes at " + address);
            }
            ByteBuf entry = copyEntry(address, length);
            if (partitionLog == null) {
                entry.release();
                f = CompletableFuture.failedFuture(new IllegalStateException("no partition log"));
            } else {
                f = partitionLog.append(decodeUtf8(topic), partition, entry, numRecords);
            }
        } catch (Throwable t) {
            f = CompletableFuture.failedFuture(t);
        }
        f.whenComplete((result, error) -> {
            if (error != null || result == null) {
                if (partitionLog != null) {
                    log.warn("[{}] append failed: {}", remote(),
                            error == null ? "no result" : TopicMetadataService.unwrap(error).toString());
                }
                result = PartitionLog.AppendResult.error(KafkaErrors.UNKNOWN_SERVER_ERROR);
            }
            postAppended(requestId, result);
        });
    }

    // A pooled direct copy of native memory (the caller frees it after the upcall).
    private static ByteBuf copyEntry(long address, int length) {
        ByteBuf out = PulsarByteBufAllocator.DEFAULT.directBuffer(length, length);
        boolean ok = false;
        try {
            if (length > 0) {
                ByteBuf src = Unpooled.wrappedBuffer(address, length, false);
                try {
                    out.writeBytes(src);
                } finally {
                    src.release();
                }
            }
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.release();
            }
        }
    }

    // Any thread: completes the core's append on the channel's event loop.
    private void postAppended(long requestId, PartitionLog.AppendResult r) {
        completeOnLoop("an append",
                c -> NativeBridge.nativeOnAppended(c, requestId, r.error(), r.baseOffset(), r.logStartOffset()), null);
    }

    /**
     * Upcall from the core (LogPort::Read, during nativeOnFrame): read (topic, partition) from
     * {@code offset}; answer with {@link NativeBridge#nativeOnRead} for {@code requestId}, always
     * later, from this channel's event loop.
     */
    void onNativeRead(long requestId, byte[] topic, int partition, long offset, int maxBytes, int maxWaitMs) {
        CompletableFuture<PartitionLog.ReadResult> f;
        try {
            f = partitionLog == null ? CompletableFuture.failedFuture(new IllegalStateException("no partition log"))
                    : partitionLog.read(readCursors, decodeUtf8(topic), partition, offset, maxBytes, maxWaitMs);
        } catch (Throwable t) {
            f = CompletableFuture.failedFuture(t);
        }
        f.whenComplete((result, error) -> {
            if (error != null || result == null) {
                if (partitionLog != null) {
                    log.warn("[{}] read failed: {}", remote(),
                            error == null ? "no result" : TopicMetadataService.unwrap(error).toString());
                }
                result = PartitionLog.ReadResult.error(KafkaErrors.UNKNOWN_SERVER_ERROR);
            }
            postRead(requestId, result);
        });
    }

    // Any thread: completes the core's read on the channel's event loop. The entries' buffer is
    // released once the downcall returned, or when the completion is dropped.
    private void postRead(long requestId, PartitionLog.ReadResult r) {
        completeOnLoop("a read", c -> {
            ByteBuf data = r.data();
            int[] lengths = r.lengths() == null ? new int[0] : r.lengths();
            if (data == null || data.readableBytes() == 0) {
                return NativeBridge.nativeOnRead(c, requestId, r.error(), r.logStartOffset(), r.logEndOffset(), 0, 0,
                        lengths);
            }
            if (!data.hasMemoryAddress()) {
                log.warn("[{}] read entries are not in a direct buffer with an address", remote());
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

    /** A downcall that completes one of the core's port calls on the open native connection. */
    @FunctionalInterface
    private interface NativeCompletion {
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
    private void completeOnLoop(String what, NativeCompletion completion, Runnable cleanup) {
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
        CompletableFuture<Short> f;
        try {
            if (partitionLog == null) {
                f = CompletableFuture.failedFuture(new IllegalStateException("no partition log"));
            } else if (op == SUBSCRIPTION_COMMIT) {
                f = partitionLog.commitSubscription(decodeUtf8(topic), partition, decodeUtf8(name), offset);
            } else if (op == SUBSCRIPTION_DELETE) {
                f = partitionLog.deleteSubscription(decodeUtf8(topic), partition, decodeUtf8(name));
            } else {
                f = CompletableFuture.failedFuture(
                        new IllegalArgumentException("unknown subscription operation " + op));
            }
        } catch (Throwable t) {
            f = CompletableFuture.failedFuture(t);
        }
        f.whenComplete((code, error) -> {
            boolean failed = error != null || code == null;
            if (failed && partitionLog != null) {
                log.warn("[{}] subscription call failed: {}", remote(),
                        error == null ? "no result" : TopicMetadataService.unwrap(error).toString());
            }
            short result = failed ? KafkaErrors.UNKNOWN_SERVER_ERROR : code;
            completeOnLoop("a subscription call",
                    c -> NativeBridge.nativeOnSubscriptionDone(c, requestId, result), null);
        });
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
        log.debug("[{}] native core closes the Kafka connection", ctx == null ? "?" : ctx.channel().remoteAddress());
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
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
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
            log.warn("[{}] closing Kafka connection on {}: request frame larger than kafkaMaxFrameSize ({})",
                    ctx.channel().remoteAddress(), listener, cause.getMessage());
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
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseNative();
        closeReadCursors();
    }

    // Event loop: deletes the connection's cached cursors (those in use once their read completes).
    private void closeReadCursors() {
        if (readCursors != null) {
            readCursors.closeAll();
        }
    }

    /** The connection's read cursors (tests); null before the channel is active. Event loop only. */
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
