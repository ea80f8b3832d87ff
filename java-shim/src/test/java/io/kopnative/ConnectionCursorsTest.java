package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.junit.jupiter.api.Test;

/** A Kafka connection owns its read cursors: they are deleted when the connection closes. */
class ConnectionCursorsTest extends NativeTestBase {
    @Test
    void closingTheConnectionDeletesItsCursors() throws Exception {
        EmbeddedChannel ch = connect();
        KafkaFrameHandler handler = ch.pipeline().get(KafkaFrameHandler.class);
        ReadCursors cursors = handler.readCursors();
        assertNotNull(cursors, "created when the connection opens");
        FakeLedger l = new FakeLedger("public/default/persistent/t").append(3, 10, 10);
        for (int p = 0; p < 3; p++) {
            ManagedCursor c = l.ml.newNonDurableCursor(FakeLedger.pos(-1), "c" + p);
            ReadCursors.Slot s = cursors.add("persistent://public/default/t-partition-" + p, l.ml, c, 0);
            cursors.release(s, 0, null, null, null);
        }
        assertEquals(3, cursors.size());
        assertFalse(cursors.isClosed());

        ch.close();
        ch.runPendingTasks();
        assertTrue(cursors.isClosed());
        assertEquals(0, cursors.size());
        assertEquals(List.of("c0", "c1", "c2"), l.deleted);
        ch.finishAndReleaseAll();
    }

    @Test
    void aCursorAddedAfterTheCloseIsDeletedAtOnce() throws Exception {
        EmbeddedChannel ch = connect();
        ReadCursors cursors = ch.pipeline().get(KafkaFrameHandler.class).readCursors();
        ch.close();
        FakeLedger l = new FakeLedger("public/default/persistent/t").append(1, 1, 1);
        ManagedCursor c = l.ml.newNonDurableCursor(FakeLedger.pos(-1), "late");
        assertEquals(null, cursors.add("persistent://public/default/t", l.ml, c, 0));
        assertEquals(List.of("late"), l.deleted);
        ch.finishAndReleaseAll();
    }
}
