package io.kopnative;

import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.bookkeeper.mledger.AsyncCallbacks;
import org.apache.bookkeeper.mledger.AsyncCallbacks.MarkDeleteCallback;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedger;
import org.apache.bookkeeper.mledger.ManagedLedgerException;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.PositionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kafka connection's non-durable read cursors, one per Pulsar topic partition it reads
 * (KoP's lesson 9: cursors are owned, reused and closed). A consumer that fetches sequentially
 * continues on the cursor its previous read left behind, with no offset search and no new cursor.
 *
 * <p>After a read, a cursor remembers the offsets a next read may ask for and where it must read
 * from for each: the offset that follows each entry handed to the core (the entry's broker index
 * + 1; the cursor's own read position after the last one, the position of the following entry
 * otherwise, since the core may use fewer entries than it was given) and the offset the read asked
 * for (the position of its first entry: a long poll that the core stopped waiting for may have
 * read entries nobody saw). Any other offset is a seek: the cursor is deleted and the reader opens
 * a new one after an offset search.
 *
 * <p>Retention: a cursor's mark-delete position is moved (before the read) to the entry just
 * below the offset asked for, so a cached cursor pins no more than its consumer has not consumed.
 *
 * <p>Bounds: at most {@code maxCursors} (least recently used evicted), closed after
 * {@code idleMs} without a read (checked on the connection's event loop), all closed with the
 * connection. A cursor in use when it leaves the cache (a read in flight) is deleted when that read
 * completes; a parked long poll is cancelled first. Everything here runs on the connection's event
 * loop; Pulsar's callbacks re-post to it.
 */
final class ReadCursors {
    private static final Logger log = LoggerFactory.getLogger(ReadCursors.class);

    static final int MAX_CURSORS = 64;
    static final long IDLE_MS = 60_000L;

    private static final long[] NONE = new long[0];

    /** The connection's event loop, as the cache and the reads use it (a fake in tests). */
    interface Loop {
        boolean inLoop();

        /** Runs {@code task} later on the loop; throws RejectedExecutionException once it is gone. */
        void execute(Runnable task);

        /** Runs {@code task} on the loop after {@code delayMs}; the returned action cancels it. */
        Runnable schedule(Runnable task, long delayMs);

        long nanoTime();

        static Loop of(EventLoop loop) {
            return new Loop() {
                @Override
                public boolean inLoop() {
                    return loop.inEventLoop();
                }

                @Override
                public void execute(Runnable task) {
                    loop.execute(task);
                }

                @Override
                public Runnable schedule(Runnable task, long delayMs) {
                    ScheduledFuture<?> f = loop.schedule(task, delayMs, TimeUnit.MILLISECONDS);
                    return () -> f.cancel(false);
                }

                @Override
                public long nanoTime() {
                    return System.nanoTime();
                }
            };
        }
    }

    /** A cached cursor of one Pulsar topic partition. */
    static final class Slot {
        final String key;
        final ManagedLedger ml;
        final ManagedCursor cursor;
        // Where the next read may continue (see the class comment): the offset the last read asked
        // for; nextOffsets[i], the offset after the i-th entry handed out; the positions of the
        // entries read (one more than handed out when the core got fewer than were read).
        private long startOffset;
        private long[] nextOffsets = NONE;
        private long[] ledgerIds = NONE;
        private long[] entryIds = NONE;
        private boolean busy;                // a read or a long poll is in flight
        private BooleanSupplier cancelWait;  // while a long poll may be parked: cancels it (true)
        private boolean retired;             // out of the cache; deleted once not busy
        private boolean deleted;
        private long lastUsedNanos;

        private Slot(String key, ManagedLedger ml, ManagedCursor cursor, long offset) {
            this.key = key;
            this.ml = ml;
            this.cursor = cursor;
            this.startOffset = offset;
        }

        boolean retired() {
            return retired;
        }

        /** 0..n-1: continues after entry i; -1: at the start offset; -2: no match. */
        private int match(long offset) {
            int n = nextOffsets.length;
            if (n > 0 && nextOffsets[n - 1] == offset) {
                return n - 1;
            }
            for (int i = 0; i < n - 1; i++) {
                if (nextOffsets[i] == offset) {
                    return i;
                }
            }
            return offset == startOffset ? -1 : -2;
        }

        private Position position(int i) {
            return i < ledgerIds.length ? PositionFactory.create(ledgerIds[i], entryIds[i]) : null;
        }

        private void record(long offset, long[] next, long[] ledgers, long[] entries) {
            startOffset = offset;
            boolean ok = next != null && ledgers != null && entries != null && ledgers.length == entries.length
                    && (ledgers.length == next.length || ledgers.length == next.length + 1);
            nextOffsets = ok ? next : NONE;
            ledgerIds = ok ? ledgers : NONE;
            entryIds = ok ? entries : NONE;
        }
    }

    private final Loop loop;
    private final int maxCursors;
    private final long idleNanos;
    private final long sweepMs;
    private final LinkedHashMap<String, Slot> slots = new LinkedHashMap<>(16, 0.75f, true); // LRU order
    private Runnable cancelSweep;
    private boolean closed;
    private long opened;
    private long hits;
    private long misses;

    ReadCursors(Loop loop) {
        this(loop, MAX_CURSORS, IDLE_MS);
    }

    ReadCursors(Loop loop, int maxCursors, long idleMs) {
        this.loop = loop;
        this.maxCursors = Math.max(1, maxCursors);
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, idleMs));
        this.sweepMs = Math.max(1, idleMs / 4);
    }

    Loop loop() {
        return loop;
    }

    boolean isClosed() {
        return closed;
    }

    int size() {
        return slots.size();
    }

    /** Cursors opened through this cache, reads that continued on one, reads that needed a new one. */
    long opened() {
        return opened;
    }

    long hits() {
        return hits;
    }

    long misses() {
        return misses;
    }

    /**
     * The cached cursor of {@code key}, ready to read {@code offset} of {@code ml} (moved and
     * mark-deleted as needed) and marked busy, or null: none cached, another ledger (the topic was
     * reloaded or re-created), another offset, or still busy with a read. Whatever is cached for
     * {@code key} and cannot serve {@code offset} is dropped.
     */
    Slot take(String key, ManagedLedger ml, long offset) {
        if (closed) {
            return null;
        }
        Slot s = slots.get(key);
        if (s == null) {
            misses++;
            return null;
        }
        if (s.busy) {
            cancelWait(s);
        }
        int k = s.busy || s.ml != ml ? -2 : s.match(offset);
        if (k == -2 || !moveTo(s, k)) {
            misses++;
            retire(s);
            return null;
        }
        hits++;
        s.busy = true;
        s.lastUsedNanos = loop.nanoTime();
        return s;
    }

    // Seeks the cursor to where a read of match k starts and mark-deletes what comes before it.
    private boolean moveTo(Slot s, int k) {
        Position seekTo;
        Position consumed;
        if (k == -1) {
            seekTo = s.position(0); // null when the last read returned nothing: the cursor is there
            consumed = null;
        } else {
            seekTo = s.position(k + 1); // null after the last entry read: the cursor is there
            consumed = s.position(k);
        }
        try {
            if (seekTo != null) {
                s.cursor.seek(seekTo);
            }
            if (consumed != null) {
                Position md = s.cursor.getMarkDeletedPosition();
                if (md == null || consumed.compareTo(md) > 0) {
                    s.cursor.asyncMarkDelete(consumed, MARK_DELETE_LOGGER, s);
                }
            }
            return true;
        } catch (RuntimeException e) {
            log.warn("kop-native: moving read cursor {} of {} failed: {}", s.cursor.getName(), s.ml.getName(),
                    e.toString());
            return false;
        }
    }

    private static final MarkDeleteCallback MARK_DELETE_LOGGER = new MarkDeleteCallback() {
        @Override
        public void markDeleteComplete(Object ctx) {
        }

        @Override
        public void markDeleteFailed(ManagedLedgerException e, Object ctx) {
            Slot s = (Slot) ctx;
            log.debug("kop-native: mark-delete of read cursor {} of {} failed: {}", s.cursor.getName(),
                    s.ml.getName(), e.toString());
        }
    };

    /**
     * Caches a cursor just opened on {@code ml} to read {@code offset}, busy; replaces (deletes)
     * the one cached for {@code key} and evicts the least recently used beyond the bound. Null,
     * with the cursor deleted, when the cache is closed.
     */
    Slot add(String key, ManagedLedger ml, ManagedCursor cursor, long offset) {
        Slot s = new Slot(key, ml, cursor, offset);
        if (closed) {
            s.retired = true;
            delete(s);
            return null;
        }
        opened++;
        Slot old = slots.remove(key);
        if (old != null) {
            retire(old);
        }
        s.busy = true;
        s.lastUsedNanos = loop.nanoTime();
        slots.put(key, s);
        while (slots.size() > maxCursors) {
            retire(slots.values().iterator().next()); // the least recently used
        }
        scheduleSweep();
        return s;
    }

    /**
     * While a long poll is in flight on {@code s}: how to cancel it (true if it was still parked:
     * then it is over, answered by the canceller; false if a read is already under way).
     */
    void waiting(Slot s, BooleanSupplier cancel) {
        s.cancelWait = cancel;
    }

    /**
     * A read on {@code s} succeeded: it read from {@code offset}; {@code next[i]} is the offset
     * after the i-th entry handed to the core and {@code ledgers}/{@code entries} the positions of
     * the entries read (the handed ones, plus the next one read when the core got fewer); empty or
     * null when there were none. A retired slot's cursor is deleted now.
     */
    void release(Slot s, long offset, long[] next, long[] ledgers, long[] entries) {
        s.busy = false;
        s.cancelWait = null;
        s.lastUsedNanos = loop.nanoTime();
        if (s.retired) {
            delete(s);
            return;
        }
        s.record(offset, next, ledgers, entries);
    }

    /** A read on {@code s} failed, or its cursor cannot be trusted: drop and delete it. */
    void fail(Slot s) {
        s.busy = false;
        s.cancelWait = null;
        retire(s);
    }

    /** Drops every cursor: the connection is gone. Later reads get no cursor. */
    void closeAll() {
        if (closed) {
            return;
        }
        closed = true;
        if (cancelSweep != null) {
            cancelSweep.run();
            cancelSweep = null;
        }
        List<Slot> all = new ArrayList<>(slots.values());
        slots.clear();
        for (Slot s : all) {
            retire(s);
        }
        if (opened > 0) {
            log.debug("kop-native: read cursors of a closed connection: {} opened, {} reads continued on one, "
                    + "{} needed a new one", opened, hits, misses);
        }
    }

    /** Drops the cursors idle for the idle timeout; the sweep runs on the loop while any is cached. */
    void expireIdle() {
        long now = loop.nanoTime();
        List<Slot> idle = new ArrayList<>();
        for (Slot s : slots.values()) {
            if (!s.busy && now - s.lastUsedNanos >= idleNanos) {
                idle.add(s);
            }
        }
        for (Slot s : idle) {
            log.debug("kop-native: closing idle read cursor {} of {}", s.cursor.getName(), s.ml.getName());
            retire(s);
        }
    }

    private void sweep() {
        cancelSweep = null;
        if (closed) {
            return;
        }
        expireIdle();
        scheduleSweep();
    }

    private void scheduleSweep() {
        if (cancelSweep == null && !closed && !slots.isEmpty()) {
            cancelSweep = loop.schedule(this::sweep, sweepMs);
        }
    }

    private void cancelWait(Slot s) {
        BooleanSupplier cancel = s.cancelWait;
        if (cancel != null && cancel.getAsBoolean()) {
            s.busy = false;
            s.cancelWait = null;
            s.lastUsedNanos = loop.nanoTime();
        }
    }

    // Takes s out of the cache; deletes its cursor now, or when its read completes.
    private void retire(Slot s) {
        Slot mapped = slots.get(s.key);
        if (mapped == s) {
            slots.remove(s.key);
        }
        s.retired = true;
        if (s.busy) {
            cancelWait(s);
        }
        if (!s.busy) {
            delete(s);
        }
    }

    private static void delete(Slot s) {
        if (s.deleted) {
            return;
        }
        s.deleted = true;
        deleteCursor(s.ml, s.cursor.getName());
    }

    /** Deletes a non-durable cursor by name; any thread. */
    static void deleteCursor(ManagedLedger ml, String name) {
        try {
            ml.asyncDeleteCursor(name, new AsyncCallbacks.DeleteCursorCallback() {
                @Override
                public void deleteCursorComplete(Object ctx) {
                }

                @Override
                public void deleteCursorFailed(ManagedLedgerException e, Object ctx) {
                    if (e instanceof ManagedLedgerException.CursorNotFoundException) {
                        log.debug("kop-native: read cursor {} of {} was already gone", name, ml.getName());
                    } else {
                        log.warn("kop-native: deleting read cursor {} of {} failed: {}", name, ml.getName(),
                                e.toString());
                    }
                }
            }, null);
        } catch (RuntimeException e) {
            log.warn("kop-native: deleting read cursor {} of {} failed: {}", name, ml.getName(), e.toString());
        }
    }

    /** For tests: the cached slot of {@code key}, without touching the LRU order. */
    Slot peek(String key) {
        for (Map.Entry<String, Slot> e : slots.entrySet()) {
            if (e.getKey().equals(key)) {
                return e.getValue();
            }
        }
        return null;
    }
}
