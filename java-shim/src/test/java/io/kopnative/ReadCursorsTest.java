package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.common.protocol.Commands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The per-connection read cursor cache through {@link PartitionReader}, against in-memory
 * managed ledgers ({@link FakeLedger}) and a virtual-time event loop ({@link FakeLoop}): sequential
 * reads continue on one cursor with no offset search, seeks replace it, the cache is bounded,
 * idle cursors and a closed connection's cursors are deleted, long polls reuse the cursor, and a
 * stale cursor falls back to the search once. Every entry handed out must be released.
 */
class ReadCursorsTest {
    static final int BIG = 1 << 20;

    final FakeLoop loop = new FakeLoop();
    final Map<String, FakeLedger> ledgers = new HashMap<>();
    final List<FakeLedger> all = new ArrayList<>();
    final PartitionReader reader = new PartitionReader((topic, partition) -> {
        FakeLedger l = ledgers.get(topic);
        return CompletableFuture.completedFuture(l == null ? Resolved.error(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION)
                : Resolved.of(new PartitionReader.Ledger("persistent://public/default/" + topic, l.ml)));
    });
    ReadCursors cursors = new ReadCursors(loop);

    record Read(short error, long logStart, long logEnd, List<Long> lastIndexes) {
    }

    FakeLedger ledger(String topic) {
        FakeLedger l = new FakeLedger("public/default/persistent/" + topic);
        ledgers.put(topic, l);
        all.add(l);
        return l;
    }

    CompletableFuture<PartitionLog.ReadResult> start(String topic, long offset, int maxBytes, int maxWaitMs) {
        CompletableFuture<PartitionLog.ReadResult> f = reader.read(cursors, topic, 0, offset, maxBytes, maxWaitMs);
        loop.runAll();
        return f;
    }

    Read read(String topic, long offset, int maxBytes) {
        CompletableFuture<PartitionLog.ReadResult> f = start(topic, offset, maxBytes, 0);
        assertTrue(f.isDone(), "a read without a wait is answered at once");
        return parse(f.join());
    }

    /** The answer's error, offsets and the broker index of each entry; releases its buffer. */
    static Read parse(PartitionLog.ReadResult r) {
        List<Long> indexes = new ArrayList<>();
        ByteBuf data = r.data();
        try {
            int at = data == null ? 0 : data.readerIndex();
            for (int len : r.lengths()) {
                indexes.add(Commands.peekBrokerEntryMetadataIfExist(data.slice(at, len)).getIndex());
                at += len;
            }
        } finally {
            if (data != null) {
                data.release();
            }
        }
        return new Read(r.error(), r.logStartOffset(), r.logEndOffset(), indexes);
    }

    @AfterEach
    void everyEntryReleased() {
        loop.runAll();
        for (FakeLedger l : all) {
            assertTrue(l.allReleased(), "entries of " + l.name + " leaked");
        }
    }

    @Test
    void sequentialReadsContinueOnOneCursorWithoutSearching() {
        FakeLedger l = ledger("t").append(10, 10, 10); // entries hold offsets 0-9, 10-19, ... 90-99
        assertEquals(new Read((short) 0, 0, 100, List.of(9L, 19L, 29L)), read("t", 0, l.bytes(0, 3)));
        assertEquals(1, l.finds);
        assertEquals(List.of("kop-native-read-1"), l.opened);
        FakeLedger.FakeCursor c = l.cursor("kop-native-read-1");

        assertEquals(List.of(39L, 49L, 59L), read("t", 30, l.bytes(3, 3)).lastIndexes());
        assertEquals(1, l.finds, "no offset search for the offset the last read stopped at");
        assertEquals(1, l.opened.size(), "no new cursor");
        assertEquals(0, c.seeks);
        assertEquals(2, c.markDelete, "mark-deleted up to the entry before the offset read");

        assertEquals(List.of(69L, 79L, 89L, 99L), read("t", 60, BIG).lastIndexes());
        assertEquals(new Read((short) 0, 0, 100, List.of()), read("t", 100, BIG)); // at the end, no wait
        assertEquals(1, l.finds);
        assertEquals(1, l.opened.size());
        assertEquals(List.of(), l.deleted);
        assertEquals(1, cursors.size());
        assertEquals(2, cursors.hits());
    }

    @Test
    void aSeekSearchesAndReplacesTheCachedCursor() {
        FakeLedger l = ledger("t").append(10, 10, 10);
        read("t", 0, l.bytes(0, 3));
        assertEquals(List.of(79L, 89L, 99L), read("t", 75, BIG).lastIndexes());
        assertEquals(2, l.finds);
        assertEquals(List.of("kop-native-read-1", "kop-native-read-2"), l.opened);
        assertEquals(List.of("kop-native-read-1"), l.deleted, "the replaced cursor is deleted");
        assertEquals(1, cursors.size());

        assertEquals(List.of(19L, 29L), read("t", 10, l.bytes(1, 2)).lastIndexes()); // a seek back
        assertEquals(3, l.finds);
        assertEquals(List.of("kop-native-read-1", "kop-native-read-2"), l.deleted);
        assertEquals(List.of(39L), read("t", 30, l.bytes(3, 1)).lastIndexes());
        assertEquals(3, l.finds);
    }

    @Test
    void anOffsetInsideThePreviousReadContinuesWithoutSearching() {
        // The core may use fewer entries than it was given (its own byte limits).
        FakeLedger l = ledger("t").append(10, 10, 10);
        assertEquals(List.of(9L, 19L, 29L, 39L, 49L), read("t", 0, l.bytes(0, 5)).lastIndexes());
        FakeLedger.FakeCursor c = l.cursor("kop-native-read-1");
        assertEquals(List.of(29L, 39L), read("t", 20, l.bytes(2, 2)).lastIndexes());
        assertEquals(1, l.finds);
        assertEquals(1, c.seeks);
        assertEquals(1, c.markDelete);
        // The same offset again (an answer the core dropped): from the first entry of that read.
        assertEquals(List.of(29L), read("t", 20, l.bytes(2, 1)).lastIndexes());
        assertEquals(1, l.finds);
        assertEquals(1, l.opened.size());
    }

    @Test
    void entriesReadButNotHandedOutAreReadAgain() {
        FakeLedger l = ledger("t").append(10, 10, 10);
        l.overRead = true; // Pulsar's byte limit is an estimate: the cursor reads past it
        assertEquals(List.of(9L, 19L), read("t", 0, l.bytes(0, 2)).lastIndexes());
        assertEquals(List.of(29L, 39L), read("t", 20, l.bytes(2, 2)).lastIndexes());
        assertEquals(1, l.finds);
        assertEquals(1, l.opened.size());
    }

    @Test
    void theCacheIsBoundedAndEvictsTheLeastRecentlyUsed() {
        cursors = new ReadCursors(loop, 3, ReadCursors.IDLE_MS);
        List<FakeLedger> ls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ls.add(ledger("t" + i).append(5, 10, 10));
        }
        for (int i = 0; i < 3; i++) {
            read("t" + i, 0, ls.get(i).bytes(0, 1));
        }
        read("t0", 10, ls.get(0).bytes(1, 1)); // t0 is now the most recently used
        assertEquals(1, ls.get(0).finds);
        read("t3", 0, ls.get(3).bytes(0, 1));
        assertEquals(3, cursors.size());
        assertEquals(List.of("kop-native-read-2"), ls.get(1).deleted, "t1 was the least recently used");
        assertEquals(List.of(), ls.get(0).deleted);
        assertEquals(List.of(), ls.get(2).deleted);

        read("t1", 10, ls.get(1).bytes(1, 1)); // evicted: searches again
        assertEquals(2, ls.get(1).finds);
        assertEquals(List.of("kop-native-read-3"), ls.get(2).deleted);
    }

    @Test
    void idleCursorsAreDeleted() {
        FakeLedger l = ledger("t").append(5, 10, 10);
        read("t", 0, l.bytes(0, 1));
        loop.advance(30_000);
        read("t", 10, l.bytes(1, 1)); // used again
        loop.advance(59_000);
        assertEquals(List.of(), l.deleted, "idle for less than the timeout");
        loop.advance(20_000);
        assertEquals(List.of("kop-native-read-1"), l.deleted);
        assertEquals(0, cursors.size());
        assertEquals(0, loop.pendingTimers(), "no sweep while nothing is cached");
        read("t", 20, l.bytes(2, 1));
        assertEquals(2, l.finds, "an expired cursor is opened again with a search");
    }

    @Test
    void closingDeletesEveryCursorThoseInUseOnceTheirReadCompletes() {
        FakeLedger idle = ledger("idle").append(3, 10, 10);
        FakeLedger polling = ledger("polling").append(3, 10, 10);
        FakeLedger reading = ledger("reading").append(3, 10, 10);
        read("idle", 0, BIG);
        CompletableFuture<PartitionLog.ReadResult> poll = start("polling", 30, BIG, 500);
        assertFalse(poll.isDone());
        assertTrue(polling.cursor("kop-native-read-2").parked());
        // A read whose completion is still on its way to the loop.
        CompletableFuture<PartitionLog.ReadResult> inFlight = reader.read(cursors, "reading", 0, 0, BIG, 0);
        assertFalse(inFlight.isDone());

        cursors.closeAll();
        assertEquals(List.of("kop-native-read-1"), idle.deleted);
        assertEquals(List.of("kop-native-read-2"), polling.deleted, "the long poll is cancelled");
        assertEquals(new Read((short) 0, 0, 30, List.of()), parse(poll.join()));
        assertEquals(List.of(), reading.deleted, "not under a read in flight");

        loop.runAll();
        assertEquals(List.of(9L, 19L, 29L), parse(inFlight.join()).lastIndexes());
        assertEquals(List.of("kop-native-read-3"), reading.deleted);
        assertEquals(0, cursors.size());

        // Reads after the close open no cursor.
        CompletableFuture<PartitionLog.ReadResult> late = start("idle", 0, BIG, 0);
        assertEquals(KafkaErrors.KAFKA_STORAGE_ERROR, late.join().error());
        assertEquals(1, idle.opened.size());
        loop.advance(600_000);
        assertEquals(0, loop.pendingTimers());
    }

    @Test
    void longPollsWaitOnTheCachedCursorAndLeaveItUsable() {
        FakeLedger l = ledger("t").append(3, 10, 10);
        read("t", 0, BIG);
        FakeLedger.FakeCursor c = l.cursor("kop-native-read-1");
        CompletableFuture<PartitionLog.ReadResult> poll = start("t", 30, BIG, 500);
        assertTrue(c.parked(), "waits on the cached cursor");
        loop.advance(499);
        assertFalse(poll.isDone());
        loop.advance(1);
        assertEquals(new Read((short) 0, 0, 30, List.of()), parse(poll.join()));
        assertFalse(c.parked(), "the timed-out wait was cancelled");

        poll = start("t", 30, BIG, 500);
        assertTrue(c.parked());
        l.append(10, 10);
        loop.runAll();
        assertEquals(new Read((short) 0, 0, 40, List.of(39L)), parse(poll.join()));
        loop.advance(1_000); // the wait's timer was cancelled: nothing more happens
        poll = start("t", 40, BIG, 500);
        assertTrue(c.parked());
        l.append(10, 10);
        loop.runAll();
        assertEquals(List.of(49L), parse(poll.join()).lastIndexes());
        assertEquals(1, l.opened.size());
        assertEquals(1, l.finds);
        assertEquals(List.of(), l.deleted);
    }

    @Test
    void anAbandonedLongPollIsCancelledByTheNextReadOfThePartition() {
        FakeLedger l = ledger("t").append(3, 10, 10);
        read("t", 0, BIG);
        CompletableFuture<PartitionLog.ReadResult> first = start("t", 30, BIG, 500);
        // The core answered that fetch without this partition and fetches again.
        CompletableFuture<PartitionLog.ReadResult> second = start("t", 30, BIG, 500);
        assertEquals(new Read((short) 0, 0, 30, List.of()), parse(first.join()));
        assertFalse(second.isDone());
        l.append(10, 10);
        loop.runAll();
        assertEquals(List.of(39L), parse(second.join()).lastIndexes());
        assertEquals(1, l.opened.size());
        assertEquals(List.of(), l.deleted);
        loop.advance(1_000);
    }

    @Test
    void aLongPollOnAFreshConnectionStartsAtTheLastEntryWithoutSearching() {
        FakeLedger l = ledger("t").append(3, 10, 10);
        CompletableFuture<PartitionLog.ReadResult> poll = start("t", 30, BIG, 500);
        assertEquals(0, l.finds);
        assertEquals(1, l.opened.size());
        l.append(10, 10);
        loop.runAll();
        assertEquals(List.of(39L), parse(poll.join()).lastIndexes());
        l.append(10, 10);
        assertEquals(List.of(49L), read("t", 40, BIG).lastIndexes());
        assertEquals(0, l.finds);
        assertEquals(1, l.opened.size());
    }

    @Test
    void aFailedReadOnACachedCursorSearchesAgainOnce() {
        FakeLedger l = ledger("t").append(10, 10, 10);
        read("t", 0, l.bytes(0, 3));
        l.cursor("kop-native-read-1").failReads = true; // e.g. the topic was unloaded under it
        assertEquals(new Read((short) 0, 0, 100, List.of(39L)), read("t", 30, l.bytes(3, 1)));
        assertEquals(2, l.finds);
        assertEquals(List.of("kop-native-read-1"), l.deleted);
        assertEquals(1, cursors.size());

        l.failReads = true; // now every read fails (a fenced ledger): one retry, then the old path's error
        assertEquals(KafkaErrors.KAFKA_STORAGE_ERROR, read("t", 40, l.bytes(4, 1)).error());
        assertEquals(3, l.finds);
        assertEquals(List.of("kop-native-read-1", "kop-native-read-2", "kop-native-read-3"), l.deleted);
        assertEquals(0, cursors.size());
    }

    @Test
    void aReloadedTopicIsAMiss() {
        FakeLedger before = ledger("t").append(10, 10, 10);
        read("t", 0, before.bytes(0, 3));
        FakeLedger after = ledger("t").append(10, 10, 10); // the same topic, another managed ledger
        assertEquals(List.of(39L), read("t", 30, after.bytes(3, 1)).lastIndexes());
        assertEquals(List.of("kop-native-read-1"), before.deleted);
        assertEquals(1, after.finds);
        assertEquals(List.of("kop-native-read-2"), after.opened);
    }

    @Test
    void aCursorThatIsNotWhereItsOffsetsSayIsNeverTrusted() {
        FakeLedger l = ledger("t").append(10, 10, 10);
        read("t", 0, l.bytes(0, 3));
        l.cursor("kop-native-read-1").readPosition = 5; // would skip offsets 30-49
        assertEquals(List.of(39L), read("t", 30, l.bytes(3, 1)).lastIndexes());
        assertEquals(2, l.finds);
        assertEquals(List.of("kop-native-read-1"), l.deleted);
    }

    @Test
    void offsetAnswersOpenNoCursor() {
        FakeLedger l = ledger("t").append(3, 10, 10);
        assertEquals(new Read((short) 0, 0, 30, List.of()), read("t", 0, 0));   // offsets only
        assertEquals(new Read((short) 0, 0, 30, List.of()), read("t", 31, BIG)); // past the end
        assertEquals(new Read((short) 0, 0, 30, List.of()), read("t", 30, BIG)); // at the end, no wait
        assertEquals(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION, start("nope", 0, BIG, 0).join().error());
        assertEquals(0, l.opened.size());
        assertEquals(0, l.finds);
    }

    @Test
    void aGoneLoopReleasesTheEntriesAndDeletesTheCursor() {
        FakeLedger l = ledger("t").append(3, 10, 10);
        loop.gone = true;
        CompletableFuture<PartitionLog.ReadResult> f = reader.read(cursors, "t", 0, 0, BIG, 0);
        assertEquals(KafkaErrors.KAFKA_STORAGE_ERROR, f.join().error());
        assertEquals(List.of("kop-native-read-1"), l.deleted);
    }
}
