package io.kopnative;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
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
import org.apache.pulsar.broker.service.persistent.PersistentTopic;
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
 *   <li>Offset to position: {@code asyncFindPosition} with "last index &lt; offset" (entries released
 *       in the predicate), then a non-durable cursor from the newest entry that matched.
 *   <li>Long polls at the log end: {@code asyncReadEntriesOrWait} on a cursor at the last confirmed
 *       entry, cancelled by a timer.
 * </ul>
 *
 * <p>Cursor lifetime: one non-durable cursor per read, deleted as soon as the read (or the wait)
 * completes; nothing outlives a request, so nothing is left behind by a closed connection.
 * Nothing here blocks: completions run on Pulsar's threads and the handler re-posts them.
 */
final class PartitionReader {
    private static final Logger log = LoggerFactory.getLogger(PartitionReader.class);
    private static final int MAX_ENTRIES_PER_READ = 500;

    private final ProduceService topics;
    private final ScheduledExecutorService scheduler;
    /** Pulsar topic name -> {first ledger id, first entry id, log start offset}. */
    private final ConcurrentHashMap<String, long[]> logStarts = new ConcurrentHashMap<>();
    private final AtomicLong cursorIds = new AtomicLong();
    private final AtomicBoolean missingInterceptorLogged = new AtomicBoolean();

    PartitionReader(ProduceService topics, ScheduledExecutorService scheduler) {
        this.topics = topics;
        this.scheduler = scheduler;
    }

    /** Drops the cached log start offsets of a topic and of its partitions. */
    void invalidate(org.apache.pulsar.common.naming.TopicName base) {
        logStarts.keySet().removeIf(k -> TopicNames.isTopicOrPartitionOf(k, base));
    }

    CompletableFuture<PartitionLog.ReadResult> read(String topic, int partition, long offset, int maxBytes,
                                                    int maxWaitMs) {
        CompletableFuture<PartitionLog.ReadResult> result = new CompletableFuture<>();
        topics.resolvePartition(topic, partition).whenComplete((outcome, e) -> {
            try {
                if (e != null) {
                    log.warn("kop-native: resolving {} partition {} for a read failed: {}", topic, partition,
                            TopicMetadataService.unwrap(e).toString());
                    result.complete(PartitionLog.ReadResult.error(ProduceService.UNKNOWN_SERVER_ERROR));
                } else if (outcome instanceof Short code) {
                    result.complete(PartitionLog.ReadResult.error(code));
                } else {
                    read((PersistentTopic) outcome, offset, maxBytes, maxWaitMs, result);
                }
            } catch (Throwable t) {
                log.warn("kop-native: read of {} partition {} failed: {}", topic, partition, t.toString());
                result.complete(PartitionLog.ReadResult.error(ProduceService.KAFKA_STORAGE_ERROR));
            }
        });
        return result;
    }

    private long logEnd(ManagedLedgerInterceptorImpl interceptor) {
        return interceptor.getIndex() + 1;
    }

    private void read(PersistentTopic pt, long offset, int maxBytes, int maxWaitMs,
                      CompletableFuture<PartitionLog.ReadResult> result) {
        ManagedLedger ml = pt.getManagedLedger();
        Position lac = ml.getLastConfirmedEntry(); // before the index: the index may only be ahead of it
        ManagedLedgerInterceptor interceptor = ml.getManagedLedgerInterceptor();
        if (!(interceptor instanceof ManagedLedgerInterceptorImpl index)) {
            if (missingInterceptorLogged.compareAndSet(false, true) || log.isDebugEnabled()) {
                log.error("kop-native: {} has no broker entry index interceptor: brokerEntryMetadataInterceptors "
                        + "must include AppendIndexMetadataInterceptor", pt.getName());
            }
            result.complete(PartitionLog.ReadResult.error(ProduceService.UNKNOWN_SERVER_ERROR));
            return;
        }
        long logEnd = logEnd(index);
        logStart(ml, pt.getName(), logEnd).whenComplete((start, e) -> {
            try {
                if (e != null) {
                    log.warn("kop-native: reading the first entry of {} failed: {}", pt.getName(),
                            TopicMetadataService.unwrap(e).toString());
                    result.complete(PartitionLog.ReadResult.error(ProduceService.KAFKA_STORAGE_ERROR));
                    return;
                }
                if (maxBytes <= 0 || offset < start || offset > logEnd) {
                    result.complete(PartitionLog.ReadResult.offsets(start, logEnd));
                } else if (offset == logEnd) {
                    if (maxWaitMs <= 0) {
                        result.complete(PartitionLog.ReadResult.offsets(start, logEnd));
                    } else {
                        waitForAppend(ml, index, lac, start, logEnd, maxBytes, maxWaitMs, result);
                    }
                } else {
                    readAt(ml, index, offset, start, maxBytes, result);
                }
            } catch (Throwable t) {
                log.warn("kop-native: read of {} failed: {}", pt.getName(), t.toString());
                result.complete(PartitionLog.ReadResult.error(ProduceService.KAFKA_STORAGE_ERROR));
            }
        });
    }

    private CompletableFuture<Long> logStart(ManagedLedger ml, String name, long logEnd) {
        if (ml.getNumberOfEntries() <= 0) {
            return CompletableFuture.completedFuture(logEnd);
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

    private void readAt(ManagedLedger ml, ManagedLedgerInterceptorImpl index, long offset, long start, int maxBytes,
                        CompletableFuture<PartitionLog.ReadResult> result) {
        // The newest entry whose last record is before `offset`; the next one holds it.
        newestEntryBefore(ml, offset).whenComplete((newest, e) -> {
            if (e != null) {
                log.warn("kop-native: finding offset {} in {} failed: {}", offset, ml.getName(),
                        TopicMetadataService.unwrap(e).toString());
                result.complete(PartitionLog.ReadResult.error(ProduceService.KAFKA_STORAGE_ERROR));
                return;
            }
            readFrom(ml, index, newest.orElse(PositionFactory.EARLIEST), start, maxBytes, result);
        });
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

    /** Reads after {@code markDelete} with a cursor of its own, deleted once the read is done. */
    private void readFrom(ManagedLedger ml, ManagedLedgerInterceptorImpl index, Position markDelete, long start,
                          int maxBytes, CompletableFuture<PartitionLog.ReadResult> result) {
        String name = newCursorName();
        ManagedCursor cursor;
        try {
            cursor = ml.newNonDurableCursor(markDelete, name);
        } catch (ManagedLedgerException | RuntimeException e) {
            log.warn("kop-native: opening a cursor on {} failed: {}", ml.getName(), e.toString());
            result.complete(PartitionLog.ReadResult.error(ProduceService.KAFKA_STORAGE_ERROR));
            return;
        }
        try {
            cursor.asyncReadEntries(MAX_ENTRIES_PER_READ, Math.max(1, maxBytes), new AsyncCallbacks.ReadEntriesCallback() {
                @Override
                public void readEntriesComplete(List<Entry> entries, Object ctx) {
                    deleteCursor(ml, name);
                    result.complete(pack(entries, start, logEnd(index), maxBytes));
                }

                @Override
                public void readEntriesFailed(ManagedLedgerException e, Object ctx) {
                    deleteCursor(ml, name);
                    log.warn("kop-native: reading {} failed: {}", ml.getName(), e.toString());
                    result.complete(PartitionLog.ReadResult.error(ProduceService.KAFKA_STORAGE_ERROR));
                }
            }, null, PositionFactory.LATEST);
        } catch (RuntimeException e) {
            deleteCursor(ml, name);
            throw e;
        }
    }

    /** At the log end: waits up to maxWaitMs for an entry after {@code lac}. */
    private void waitForAppend(ManagedLedger ml, ManagedLedgerInterceptorImpl index, Position lac, long start,
                               long logEnd, int maxBytes, int maxWaitMs,
                               CompletableFuture<PartitionLog.ReadResult> result) {
        String name = newCursorName();
        ManagedCursor cursor;
        try {
            cursor = ml.newNonDurableCursor(lac, name);
        } catch (ManagedLedgerException | RuntimeException e) {
            log.warn("kop-native: opening a cursor on {} failed: {}", ml.getName(), e.toString());
            result.complete(PartitionLog.ReadResult.error(ProduceService.KAFKA_STORAGE_ERROR));
            return;
        }
        AtomicBoolean finished = new AtomicBoolean();
        AtomicReference<ScheduledFuture<?>> timer = new AtomicReference<>();
        AsyncCallbacks.ReadEntriesCallback callback = new AsyncCallbacks.ReadEntriesCallback() {
            @Override
            public void readEntriesComplete(List<Entry> entries, Object ctx) {
                if (!finished.compareAndSet(false, true)) {
                    entries.forEach(Entry::release);
                    return;
                }
                cancel(timer.get());
                deleteCursor(ml, name);
                result.complete(pack(entries, start, Math.max(logEnd, logEnd(index)), maxBytes));
            }

            @Override
            public void readEntriesFailed(ManagedLedgerException e, Object ctx) {
                if (!finished.compareAndSet(false, true)) {
                    return;
                }
                cancel(timer.get());
                deleteCursor(ml, name);
                log.debug("kop-native: waiting read on {} failed: {}", ml.getName(), e.toString());
                result.complete(PartitionLog.ReadResult.offsets(start, Math.max(logEnd, logEnd(index))));
            }
        };
        try {
            cursor.asyncReadEntriesOrWait(MAX_ENTRIES_PER_READ, Math.max(1, maxBytes), callback, null,
                    PositionFactory.LATEST);
            timer.set(scheduler.schedule(() -> {
                // false: a read is already in flight, its callback answers.
                if (cursor.cancelPendingReadRequest() && finished.compareAndSet(false, true)) {
                    deleteCursor(ml, name);
                    result.complete(PartitionLog.ReadResult.offsets(start, Math.max(logEnd, logEnd(index))));
                }
            }, maxWaitMs, TimeUnit.MILLISECONDS));
            if (finished.get()) {
                cancel(timer.get());
            }
        } catch (RuntimeException e) {
            if (finished.compareAndSet(false, true)) {
                deleteCursor(ml, name);
                log.warn("kop-native: waiting read on {} failed: {}", ml.getName(), e.toString());
                result.complete(PartitionLog.ReadResult.error(ProduceService.KAFKA_STORAGE_ERROR));
            }
        }
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    private static void deleteCursor(ManagedLedger ml, String name) {
        try {
            ml.asyncDeleteCursor(name, new AsyncCallbacks.DeleteCursorCallback() {
                @Override
                public void deleteCursorComplete(Object ctx) {
                }

                @Override
                public void deleteCursorFailed(ManagedLedgerException e, Object ctx) {
                    log.warn("kop-native: deleting read cursor {} of {} failed: {}", name, ml.getName(), e.toString());
                }
            }, null);
        } catch (RuntimeException e) {
            log.warn("kop-native: deleting read cursor {} of {} failed: {}", name, ml.getName(), e.toString());
        }
    }

    /** Copies up to maxBytes of entries (at least one) into one direct buffer; releases every entry. */
    private static PartitionLog.ReadResult pack(List<Entry> entries, long start, long logEnd, int maxBytes) {
        ByteBuf out = null;
        try {
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
            int[] lengths = new int[count];
            if (count > 0) {
                out = PulsarByteBufAllocator.DEFAULT.directBuffer((int) total, (int) total);
                for (int i = 0; i < count; i++) {
                    ByteBuf d = entries.get(i).getDataBuffer();
                    lengths[i] = d.readableBytes();
                    out.writeBytes(d, d.readerIndex(), d.readableBytes());
                }
            }
            PartitionLog.ReadResult r = new PartitionLog.ReadResult(ProduceService.NONE, start, logEnd, out, lengths);
            out = null;
            return r;
        } catch (RuntimeException e) {
            log.warn("kop-native: copying read entries failed: {}", e.toString());
            return PartitionLog.ReadResult.error(ProduceService.KAFKA_STORAGE_ERROR);
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
