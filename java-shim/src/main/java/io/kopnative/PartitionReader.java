package io.kopnative;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.bookkeeper.mledger.AsyncCallbacks;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedger;
import org.apache.bookkeeper.mledger.ManagedLedgerException;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.PositionFactory;
import org.apache.bookkeeper.mledger.intercept.ManagedLedgerInterceptor;
import org.apache.pulsar.broker.intercept.ManagedLedgerInterceptorImpl;
import org.apache.pulsar.common.allocator.PulsarByteBufAllocator;
import org.apache.pulsar.common.api.proto.BrokerEntryMetadata;
import org.apache.pulsar.common.api.proto.MessageMetadata;
import org.apache.pulsar.common.protocol.Commands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read half of the core's LogPort on a Pulsar broker: Kafka offsets are broker entry indexes
 * (an entry's index is the offset of its last record).
 *
 * <ul>
 *   <li>Log end offset: the managed ledger interceptor's index + 1 (no I/O).
 *   <li>Log start offset: the base offset of the first stored entry (one entry read, cached per
 *       topic for as long as the first position does not change); the log end if there is none.
 *   <li>Reads continue on the connection's cached cursor of the partition when it stopped where
 *       the read starts ({@link ReadCursors}); otherwise offset to position by
 *       {@code asyncFindPosition} with "last index &lt; offset" (entries released in the
 *       predicate), then a new non-durable cursor from the newest entry that matched, cached in
 *       place of the old one.
 *   <li>Long polls at the log end: {@code asyncReadEntriesOrWait} on the cached cursor, or a new
 *       one at the last confirmed entry, cancelled by a timer on the connection's event loop.
 * </ul>
 *
 * <p>Threads: everything that touches a connection's cursors runs on its event loop; Pulsar's
 * completions (topic resolution, offset search, reads) are re-posted there, and the entries are
 * checked, copied and released there. Nothing here blocks.
 */
final class PartitionReader {
    private static final Logger log = LoggerFactory.getLogger(PartitionReader.class);
    private static final int MAX_ENTRIES_PER_READ = 500;

    /** A partition resolved for a read: its Pulsar topic name and managed ledger. */
    record Ledger(String topic, ManagedLedger ml) {
    }

    /** Resolves (Kafka topic, partition) to a {@link Ledger} or a Kafka error code. */
    @FunctionalInterface
    interface Resolver {
        CompletableFuture<Resolved<Ledger>> resolve(String topic, int partition);
    }

    /** One read of the core, with the connection's cursors. */
    private record Request(ReadCursors cursors, String topic, int partition, long offset, int maxBytes,
                           int maxWaitMs, CompletableFuture<PartitionLog.ReadResult> result) {
        void complete(PartitionLog.ReadResult r) {
            if (!result.complete(r) && r.data() != null) {
                r.data().release(); // answered already (the watchdog): nobody takes these entries
            }
        }

        void fail(short error) {
            result.complete(PartitionLog.ReadResult.error(error));
        }
    }

    /** How long past its max wait a read may take before the watchdog answers it. */
    static final long WATCHDOG_MS = 20_000;

    private final Resolver resolver;
    /** Pulsar topic name -> {first ledger id, first entry id, log start offset}. */
    private final ConcurrentHashMap<String, long[]> logStarts = new ConcurrentHashMap<>();
    private final AtomicLong cursorIds = new AtomicLong();
    private final AtomicBoolean missingInterceptorLogged = new AtomicBoolean();

    PartitionReader(Resolver resolver) {
        this.resolver = resolver;
    }

    /** Drops the cached log start offsets of a topic and of its partitions. */
    void invalidate(org.apache.pulsar.common.naming.TopicName base) {
        logStarts.keySet().removeIf(k -> TopicNames.isTopicOrPartitionOf(k, base));
    }

    /** Non-durable read cursors opened so far (all connections). */
    long cursorsOpened() {
        return cursorIds.get();
    }

    /**
     * Reads (topic, partition) from {@code offset} for a connection whose cursors are
     * {@code cursors}; any thread (the cursors are touched on their loop only). The future may
     * complete on any thread.
     */
    CompletableFuture<PartitionLog.ReadResult> read(ReadCursors cursors, String topic, int partition, long offset,
                                                    int maxBytes, int maxWaitMs) {
        Request r = new Request(cursors, topic, partition, offset, maxBytes, maxWaitMs, new CompletableFuture<>());
        // A watchdog: a ManagedLedger operation that never answers (a topic caught in the middle of
        // moving between brokers) must not hold the Fetch, or a group coordinator's load, forever.
        // Retriable for clients (they refresh metadata); a late answer's entries are released.
        r.result().completeOnTimeout(PartitionLog.ReadResult.error(KafkaErrors.KAFKA_STORAGE_ERROR),
                Math.max(0, maxWaitMs) + WATCHDOG_MS, TimeUnit.MILLISECONDS);
        start(r, true);
        return r.result();
    }

    // Resolves the partition, then reads on the loop; mayHit false: do not use a cached cursor.
    private void start(Request r, boolean mayHit) {
        CompletableFuture<Resolved<Ledger>> resolved;
        try {
            resolved = resolver.resolve(r.topic(), r.partition());
        } catch (RuntimeException e) {
            resolved = CompletableFuture.failedFuture(e);
        }
        resolved.whenComplete((outcome, e) -> {
            try {
                if (e != null) {
                    log.warn("kop-native: resolving {} partition {} for a read failed: {}", r.topic(), r.partition(),
                            TopicMetadataService.unwrap(e).toString());
                    r.fail(KafkaErrors.UNKNOWN_SERVER_ERROR);
                } else if (!outcome.ok()) {
                    r.fail(outcome.error());
                } else {
                    onLoop(r, () -> readLedger(r, outcome.value(), mayHit));
                }
            } catch (Throwable t) {
                log.warn("kop-native: read of {} partition {} failed: {}", r.topic(), r.partition(), t.toString());
                r.fail(KafkaErrors.KAFKA_STORAGE_ERROR);
            }
        });
    }

    // Runs task on the request's loop: now if already there, else posted; fails the read if the
    // loop is gone or the task throws.
    private static void onLoop(Request r, Runnable task) {
        ReadCursors.Loop loop = r.cursors().loop();
        Runnable guarded = () -> {
            try {
                task.run();
            } catch (Throwable t) {
                log.warn("kop-native: read of {} partition {} failed: {}", r.topic(), r.partition(), t.toString());
                r.fail(KafkaErrors.KAFKA_STORAGE_ERROR);
            }
        };
        if (loop.inLoop()) {
            guarded.run();
            return;
        }
        try {
            loop.execute(guarded);
        } catch (RejectedExecutionException e) {
            r.fail(KafkaErrors.KAFKA_STORAGE_ERROR); // the connection is gone
        }
    }

    private static long logEnd(ManagedLedgerInterceptorImpl interceptor) {
        return interceptor.getIndex() + 1;
    }

    // Event loop.
    private void readLedger(Request r, Ledger target, boolean mayHit) {
        ManagedLedger ml = target.ml();
        Position lac = ml.getLastConfirmedEntry(); // before the index: the index may only be ahead of it
        ManagedLedgerInterceptor interceptor = ml.getManagedLedgerInterceptor();
        if (!(interceptor instanceof ManagedLedgerInterceptorImpl index)) {
            if (missingInterceptorLogged.compareAndSet(false, true) || log.isDebugEnabled()) {
                log.error("kop-native: {} has no broker entry index interceptor: brokerEntryMetadataInterceptors "
                        + "must include AppendIndexMetadataInterceptor", target.topic());
            }
            r.fail(KafkaErrors.UNKNOWN_SERVER_ERROR);
            return;
        }
        long logEnd = logEnd(index);
        logStart(ml, target.topic(), logEnd).whenComplete((start, e) -> {
            if (e != null) {
                log.warn("kop-native: reading the first entry of {} failed: {}", target.topic(),
                        TopicMetadataService.unwrap(e).toString());
                r.fail(KafkaErrors.KAFKA_STORAGE_ERROR);
                return;
            }
            onLoop(r, () -> readFrom(r, target, lac, index, logEnd, start, mayHit));
        });
    }

    // Event loop: the log start and end are known.
    private void readFrom(Request r, Ledger target, Position lac, ManagedLedgerInterceptorImpl index, long logEnd,
                          long start, boolean mayHit) {
        long offset = r.offset();
        if (r.maxBytes() <= 0 || offset < start || offset > logEnd || (offset == logEnd && r.maxWaitMs() <= 0)) {
            r.complete(PartitionLog.ReadResult.offsets(start, logEnd));
            return;
        }
        ManagedLedger ml = target.ml();
        String key = target.topic();
        boolean wait = offset == logEnd;
        ReadCursors.Slot cached = mayHit ? r.cursors().take(key, ml, offset) : null;
        if (cached != null) {
            readOn(new Op(r, cached, true, wait, start, index, logEnd));
        } else if (wait) {
            ReadCursors.Slot slot = open(r, key, ml, lac);
            if (slot != null) {
                readOn(new Op(r, slot, false, true, start, index, logEnd));
            }
        } else {
            // The newest entry whose last record is before `offset`; the next one holds it.
            newestEntryBefore(ml, offset).whenComplete((newest, e) -> {
                if (e != null) {
                    log.warn("kop-native: finding offset {} in {} failed: {}", offset, ml.getName(),
                            TopicMetadataService.unwrap(e).toString());
                    r.fail(KafkaErrors.KAFKA_STORAGE_ERROR);
                    return;
                }
                onLoop(r, () -> {
                    ReadCursors.Slot slot = open(r, key, ml, newest.orElse(PositionFactory.EARLIEST));
                    if (slot != null) {
                        readOn(new Op(r, slot, false, false, start, index, logEnd));
                    }
                });
            });
        }
    }

    /**
     * Records of appends issued but not yet written, per Pulsar topic: the broker entry index counts
     * them already (it advances when an append is issued), the ledger does not.
     */
    void setPendingRecords(java.util.function.ToLongFunction<String> pending) {
        this.pendingRecords = pending;
    }

    private volatile java.util.function.ToLongFunction<String> pendingRecords = name -> 0L;

    private CompletableFuture<Long> logStart(ManagedLedger ml, String name, long logEnd) {
        if (ml.getNumberOfEntries() <= 0) {
            // Nothing written (yet, or any more): the log starts where the written log ends, before
            // appends still in flight. Otherwise "earliest" answered during a fresh partition's first
            // produce would skip that produce's records.
            long pending = pendingRecords.applyAsLong(name);
            return CompletableFuture.completedFuture(Math.max(0L, logEnd - pending));
        }
        Position first = ml.getNextValidPosition(ml.getFirstPosition());
        long[] cached = logStarts.get(name);
        if (cached != null && cached[0] == first.getLedgerId() && cached[1] == first.getEntryId()) {
            return CompletableFuture.completedFuture(cached[2]);
        }
        CompletableFuture<Long> f = new CompletableFuture<>();
        ml.asyncReadEntry(first, new AsyncCallbacks.ReadEntryCallback() {
            @Override
            public void readEntryComplete(Entry entry, Object ctx) {
                try {
                    long base = baseOffset(entry.getDataBuffer());
                    logStarts.put(name, new long[] {first.getLedgerId(), first.getEntryId(), base});
                    f.complete(base);
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                } finally {
                    entry.release();
                }
            }

            @Override
            public void readEntryFailed(ManagedLedgerException e, Object ctx) {
                f.completeExceptionally(e);
            }
        }, null);
        return f;
    }

    /** The broker entry index of a stored entry: the Kafka offset of its last record. */
    private static long lastIndex(ByteBuf data) {
        BrokerEntryMetadata md = Commands.peekBrokerEntryMetadataIfExist(data);
        if (md == null || !md.hasIndex()) {
            throw new IllegalStateException("entry without a broker entry index");
        }
        return md.getIndex();
    }

    /** The Kafka offset of a stored entry's first record: index - num_messages_in_batch + 1. */
    static long baseOffset(ByteBuf data) {
        long index = lastIndex(data);
        int n = 1;
        try {
            ByteBuf dup = data.duplicate();
            Commands.skipBrokerEntryMetadataIfExist(dup);
            MessageMetadata md = Commands.parseMessageMetadata(dup); // thread-local: read it here
            if (md.hasNumMessagesInBatch()) {
                n = Math.max(1, md.getNumMessagesInBatch());
            }
        } catch (RuntimeException e) {
            log.debug("kop-native: no message metadata in a stored entry: {}", e.toString());
        }
        return index - n + 1;
    }

    /**
     * The position of the newest entry of {@code ml} whose records all lie below {@code offset}
     * (its broker entry index, the offset of its last record, is below it), or empty if there is
     * none: a binary search with {@code asyncFindPosition} (the predicate releases each entry it
     * reads). Fails if the search fails or finds no ledger. Used by reads (the entry after it holds
     * {@code offset}) and by the subscription mirror (it is the mark-delete position for a
     * committed {@code offset}).
     */
    static CompletableFuture<Optional<Position>> newestEntryBefore(ManagedLedger ml, long offset) {
        AtomicReference<Position> newestBefore = new AtomicReference<>();
        CompletableFuture<Position> search;
        try {
            search = ml.asyncFindPosition(entry -> {
                try {
                    boolean before = lastIndex(entry.getDataBuffer()) < offset;
                    if (before) {
                        Position p = entry.getPosition();
                        newestBefore.accumulateAndGet(p, (a, b) -> a == null || b.compareTo(a) > 0 ? b : a);
                    }
                    return before;
                } catch (RuntimeException e) {
                    return false;
                } finally {
                    entry.release();
                }
            });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return search.thenApply(pos -> {
            if (pos == null) {
                throw new IllegalStateException("no position in " + ml.getName());
            }
            return Optional.ofNullable(newestBefore.get());
        });
    }

    private String newCursorName() {
        return "kop-native-read-" + cursorIds.incrementAndGet();
    }

    /**
     * Event loop: a new cursor on {@code ml} that reads after {@code markDelete}, cached for
     * {@code key} (busy); null, with the read answered, when it cannot be opened or the connection
     * is gone.
     */
    private ReadCursors.Slot open(Request r, String key, ManagedLedger ml, Position markDelete) {
        if (r.cursors().isClosed()) {
            r.fail(KafkaErrors.KAFKA_STORAGE_ERROR); // nobody is waiting for it
            return null;
        }
        String name = newCursorName();
        ManagedCursor cursor;
        try {
            cursor = ml.newNonDurableCursor(markDelete, name);
        } catch (ManagedLedgerException | RuntimeException e) {
            log.warn("kop-native: opening a cursor on {} failed: {}", ml.getName(), e.toString());
            r.fail(KafkaErrors.KAFKA_STORAGE_ERROR);
            return null;
        }
        log.debug("kop-native: new read cursor {} on {} after {} for offset {}", name, ml.getName(), markDelete,
                r.offset());
        ReadCursors.Slot slot = r.cursors().add(key, ml, cursor, r.offset());
        if (slot == null) {
            r.fail(KafkaErrors.KAFKA_STORAGE_ERROR);
        }
        return slot;
    }

    /**
     * One read (or long poll) on a cursor of the cache. Its state is touched on the event loop
     * only; the cursor's callbacks re-post there.
     */
    private final class Op {
        final Request r;
        final ReadCursors.Slot slot;
        final boolean hit;   // on a cursor cached by an earlier read: may be stale
        final boolean wait;  // a long poll at the log end
        final long start;
        final ManagedLedgerInterceptorImpl index;
        final long logEnd;
        boolean done;
        Runnable cancelTimer;

        Op(Request r, ReadCursors.Slot slot, boolean hit, boolean wait, long start, ManagedLedgerInterceptorImpl index,
                long logEnd) {
            this.r = r;
            this.slot = slot;
            this.hit = hit;
            this.wait = wait;
            this.start = start;
            this.index = index;
            this.logEnd = logEnd;
        }

        long logEndNow() {
            return wait ? Math.max(logEnd, logEnd(index)) : logEnd(index);
        }

        void stopTimer() {
            if (cancelTimer != null) {
                cancelTimer.run();
                cancelTimer = null;
            }
        }

        /** A parked long poll ends empty (true); false if a read is already under way. */
        boolean cancel() {
            if (done || !slot.cursor.cancelPendingReadRequest()) {
                return false;
            }
            done = true;
            stopTimer();
            r.complete(PartitionLog.ReadResult.offsets(start, logEndNow()));
            return true;
        }

        void timeout() {
            cancelTimer = null;
            if (cancel()) {
                r.cursors().release(slot, r.offset(), null, null, null);
            }
        }

        void completed(List<Entry> entries) {
            if (done) {
                entries.forEach(Entry::release);
                return;
            }
            done = true;
            stopTimer();
            ReadCursors cursors = r.cursors();
            if (hit && !entries.isEmpty() && !holds(entries.get(0), r.offset())) {
                // The cached cursor is not where its offsets say: never serve a gap.
                entries.forEach(Entry::release);
                log.debug("kop-native: read cursor {} of {} is not at offset {}: searching again",
                        slot.cursor.getName(), slot.ml.getName(), r.offset());
                cursors.fail(slot);
                start(r, false);
                return;
            }
            int handed;
            long[] next;
            long[] ledgers;
            long[] ids;
            boolean known = true;
            try {
                handed = handedOut(entries, r.maxBytes());
                next = new long[handed];
                ledgers = new long[Math.min(entries.size(), handed + 1)];
                ids = new long[ledgers.length];
                try {
                    for (int i = 0; i < ledgers.length; i++) {
                        Entry e = entries.get(i);
                        ledgers[i] = e.getLedgerId();
                        ids[i] = e.getEntryId();
                        if (i < handed) {
                            next[i] = lastIndex(e.getDataBuffer()) + 1;
                        }
                    }
                } catch (RuntimeException e) {
                    known = false; // no broker entry index: served as before, but not continued
                }
            } catch (RuntimeException e) {
                entries.forEach(Entry::release);
                log.warn("kop-native: reading {} failed: {}", slot.ml.getName(), e.toString());
                cursors.fail(slot);
                r.fail(KafkaErrors.KAFKA_STORAGE_ERROR);
                return;
            }
            PartitionLog.ReadResult result = pack(entries, handed, start, logEndNow());
            if (known && result.error() == KafkaErrors.NONE) {
                cursors.release(slot, r.offset(), next, ledgers, ids);
            } else {
                cursors.fail(slot);
            }
            r.complete(result);
        }

        void failed(Exception e) {
            if (done) {
                return;
            }
            done = true;
            stopTimer();
            boolean retired = slot.retired();
            r.cursors().fail(slot);
            if (hit && !retired && !r.cursors().isClosed()) {
                // A cached cursor of a topic that was unloaded, closed or deleted: once more the old way.
                log.debug("kop-native: read on cached cursor {} of {} failed ({}): searching again",
                        slot.cursor.getName(), slot.ml.getName(), e.toString());
                start(r, false);
            } else if (wait) {
                log.debug("kop-native: waiting read on {} failed: {}", slot.ml.getName(), e.toString());
                r.complete(PartitionLog.ReadResult.offsets(start, logEndNow()));
            } else {
                log.warn("kop-native: reading {} failed: {}", slot.ml.getName(), e.toString());
                r.fail(KafkaErrors.KAFKA_STORAGE_ERROR);
            }
        }
    }

    /** Whether {@code entry} holds {@code offset} or a later one only: no record before it is skipped. */
    private static boolean holds(Entry entry, long offset) {
        try {
            return baseOffset(entry.getDataBuffer()) <= offset;
        } catch (RuntimeException e) {
            return false;
        }
    }

    // Event loop: starts op's read; its callbacks re-post to the loop (never run inline, so a
    // callback fired during the call, e.g. by a cursor deleted under a parked read, finds
    // consistent state).
    private void readOn(Op op) {
        ReadCursors.Loop loop = op.r.cursors().loop();
        ManagedCursor cursor = op.slot.cursor;
        ManagedLedger ml = op.slot.ml;
        AsyncCallbacks.ReadEntriesCallback callback = new AsyncCallbacks.ReadEntriesCallback() {
            @Override
            public void readEntriesComplete(List<Entry> entries, Object ctx) {
                try {
                    loop.execute(() -> op.completed(entries));
                } catch (RejectedExecutionException e) {
                    // The connection's loop is gone: nobody reads these or this cursor again.
                    entries.forEach(Entry::release);
                    ReadCursors.deleteCursor(ml, cursor.getName());
                    op.r.fail(KafkaErrors.KAFKA_STORAGE_ERROR);
                }
            }

            @Override
            public void readEntriesFailed(ManagedLedgerException e, Object ctx) {
                try {
                    loop.execute(() -> op.failed(e));
                } catch (RejectedExecutionException rejected) {
                    ReadCursors.deleteCursor(ml, cursor.getName());
                    op.r.fail(KafkaErrors.KAFKA_STORAGE_ERROR);
                }
            }
        };
        int maxBytes = Math.max(1, op.r.maxBytes());
        try {
            if (op.wait) {
                cursor.asyncReadEntriesOrWait(MAX_ENTRIES_PER_READ, maxBytes, callback, null, PositionFactory.LATEST);
                op.r.cursors().waiting(op.slot, op::cancel);
                op.cancelTimer = loop.schedule(op::timeout, op.r.maxWaitMs());
            } else {
                cursor.asyncReadEntries(MAX_ENTRIES_PER_READ, maxBytes, callback, null, PositionFactory.LATEST);
            }
        } catch (RuntimeException e) {
            op.failed(e);
        }
    }

    /** How many of {@code entries} fit in maxBytes (at least one when there is one). */
    private static int handedOut(List<Entry> entries, int maxBytes) {
        int count = 0;
        long total = 0;
        for (Entry e : entries) {
            int len = e.getDataBuffer().readableBytes();
            if (count > 0 && total + len > maxBytes) {
                break;
            }
            total += len;
            count++;
        }
        return count;
    }

    /** Copies the first {@code count} entries into one direct buffer; releases every entry. */
    private static PartitionLog.ReadResult pack(List<Entry> entries, int count, long start, long logEnd) {
        ByteBuf out = null;
        try {
            long total = 0;
            for (int i = 0; i < count; i++) {
                total += entries.get(i).getDataBuffer().readableBytes();
            }
            int[] lengths = new int[count];
            if (count > 0) {
                out = PulsarByteBufAllocator.DEFAULT.directBuffer((int) total, (int) total);
                for (int i = 0; i < count; i++) {
                    ByteBuf d = entries.get(i).getDataBuffer();
                    lengths[i] = d.readableBytes();
                    out.writeBytes(d, d.readerIndex(), d.readableBytes());
                }
            }
            PartitionLog.ReadResult r = new PartitionLog.ReadResult(KafkaErrors.NONE, start, logEnd, out, lengths);
            out = null;
            return r;
        } catch (RuntimeException e) {
            log.warn("kop-native: copying read entries failed: {}", e.toString());
            return PartitionLog.ReadResult.error(KafkaErrors.KAFKA_STORAGE_ERROR);
        } finally {
            if (out != null) {
                out.release();
            }
            for (Entry e : entries) {
                e.release();
            }
        }
    }
}
