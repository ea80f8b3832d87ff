package io.kopnative;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.apache.bookkeeper.mledger.AsyncCallbacks;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedger;
import org.apache.bookkeeper.mledger.ManagedLedgerException;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.PositionFactory;
import org.apache.bookkeeper.mledger.impl.EntryImpl;
import org.apache.pulsar.broker.intercept.ManagedLedgerInterceptorImpl;
import org.apache.pulsar.common.api.proto.MessageMetadata;
import org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor;
import org.apache.pulsar.common.protocol.Commands;

/**
 * An in-memory managed ledger (one ledger, entry ids 0..n-1) with non-durable cursors, as
 * {@link java.lang.reflect.Proxy} fakes of {@link ManagedLedger} and {@link ManagedCursor}: just
 * what {@link PartitionReader} and {@link ReadCursors} call. Entries carry a broker entry index
 * (the offset of their last record) like AppendIndexMetadataInterceptor's. Every entry handed
 * out is tracked so tests can check that all of them were released. Callbacks run inline on the
 * caller's thread, as Pulsar's may.
 */
final class FakeLedger implements InvocationHandler {
    static final long LEDGER = 3;

    final String name;
    final ManagedLedger ml;
    final AppendIndexMetadataInterceptor index = new AppendIndexMetadataInterceptor();
    final ManagedLedgerInterceptorImpl interceptor = new ManagedLedgerInterceptorImpl(Set.of(index), Set.of());
    final List<byte[]> entries = new ArrayList<>();
    final Map<String, FakeCursor> cursors = new LinkedHashMap<>();
    final List<String> opened = new ArrayList<>();
    final List<String> deleted = new ArrayList<>();
    final List<ByteBuf> handedOut = new ArrayList<>();
    int finds;
    boolean overRead; // cursors ignore the byte limit (Pulsar's is an estimate)
    boolean failReads; // every cursor's reads fail (a fenced or closed ledger)

    FakeLedger(String name) {
        this.name = name;
        this.ml = (ManagedLedger) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ManagedLedger.class}, this);
    }

    /** Appends an entry of {@code records} records (values of {@code valueBytes}) and wakes parked reads. */
    FakeLedger append(int records, int valueBytes) {
        MessageMetadata md = new MessageMetadata().setProducerName("p").setSequenceId(entries.size())
                .setPublishTime(1).setNumMessagesInBatch(records);
        ByteBuf payload = Unpooled.wrappedBuffer(new byte[records * valueBytes]);
        ByteBuf stored = Commands.addBrokerEntryMetadata(
                Commands.serializeMetadataAndPayload(Commands.ChecksumType.None, md, payload), Set.of(index), records);
        try {
            byte[] bytes = new byte[stored.readableBytes()];
            stored.getBytes(stored.readerIndex(), bytes);
            entries.add(bytes);
        } finally {
            stored.release();
            payload.release();
        }
        for (FakeCursor c : new ArrayList<>(cursors.values())) {
            c.wake();
        }
        return this;
    }

    FakeLedger append(int entryCount, int records, int valueBytes) {
        for (int i = 0; i < entryCount; i++) {
            append(records, valueBytes);
        }
        return this;
    }

    /** The stored size of entries [from, from + count). */
    int bytes(int from, int count) {
        int total = 0;
        for (int i = from; i < from + count; i++) {
            total += entries.get(i).length;
        }
        return total;
    }

    long logEnd() {
        return index.getIndex() + 1;
    }

    FakeCursor cursor(String cursorName) {
        return cursors.get(cursorName);
    }

    /** Whether every entry handed out was released. */
    boolean allReleased() {
        return handedOut.stream().allMatch(b -> b.refCnt() == 0);
    }

    Entry entry(int i) {
        ByteBuf b = Unpooled.directBuffer(entries.get(i).length).writeBytes(entries.get(i));
        handedOut.add(b);
        Entry e = EntryImpl.create(LEDGER, i, b); // retains b
        b.release();
        return e;
    }

    static Position pos(long entryId) {
        return PositionFactory.create(LEDGER, entryId);
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        switch (method.getName()) {
            case "getName":
                return name;
            case "toString":
                return "FakeLedger(" + name + ")";
            case "hashCode":
                return System.identityHashCode(proxy);
            case "equals":
                return proxy == args[0];
            case "getLastConfirmedEntry":
                return pos(entries.size() - 1);
            case "getManagedLedgerInterceptor":
                return interceptor;
            case "getNumberOfEntries":
                if (args == null || args.length == 0) {
                    return (long) entries.size();
                }
                break;
            case "getFirstPosition":
                return pos(-1);
            case "getNextValidPosition":
                return pos(((Position) args[0]).getEntryId() + 1);
            case "asyncReadEntry": {
                int i = (int) ((Position) args[0]).getEntryId();
                ((AsyncCallbacks.ReadEntryCallback) args[1]).readEntryComplete(entry(i), args[2]);
                return null;
            }
            case "asyncFindPosition": {
                finds++;
                @SuppressWarnings("unchecked")
                Predicate<Entry> p = (Predicate<Entry>) args[0];
                long newest = -1;
                for (int i = 0; i < entries.size(); i++) {
                    if (p.test(entry(i))) {
                        newest = i;
                    }
                }
                return CompletableFuture.completedFuture(pos(newest + 1));
            }
            case "newNonDurableCursor":
                if (args.length == 2) {
                    FakeCursor c = new FakeCursor((String) args[1], (Position) args[0]);
                    cursors.put(c.name, c);
                    opened.add(c.name);
                    return c.cursor;
                }
                break;
            case "asyncDeleteCursor": {
                AsyncCallbacks.DeleteCursorCallback cb = (AsyncCallbacks.DeleteCursorCallback) args[1];
                FakeCursor c = cursors.remove((String) args[0]);
                if (c == null) {
                    cb.deleteCursorFailed(new ManagedLedgerException.CursorNotFoundException("no " + args[0]), args[2]);
                    return null;
                }
                deleted.add(c.name);
                c.close();
                cb.deleteCursorComplete(args[2]);
                return null;
            }
            default:
                break;
        }
        throw new UnsupportedOperationException("FakeLedger." + method.getName());
    }

    /** A non-durable cursor: reads after its mark-delete position, parks reads at the end. */
    final class FakeCursor implements InvocationHandler {
        final String name;
        final ManagedCursor cursor;
        long readPosition;  // entry id of the next entry read
        long markDelete;    // entry id
        int seeks;
        int markDeletes;
        int reads;
        boolean closed;
        boolean failReads;  // fail every read (a stale cursor)
        final ArrayDeque<Object[]> parked = new ArrayDeque<>(); // {max, bytes, callback, ctx}

        FakeCursor(String name, Position markDeletePosition) {
            this.name = name;
            this.markDelete = markDeletePosition.getLedgerId() < 0 ? -1 : markDeletePosition.getEntryId();
            this.readPosition = markDelete + 1;
            this.cursor = (ManagedCursor) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ManagedCursor.class}, this);
        }

        boolean parked() {
            return !parked.isEmpty();
        }

        void wake() {
            if (!parked.isEmpty() && readPosition < entries.size()) {
                Object[] p = parked.poll();
                read((Integer) p[0], (Long) p[1], (AsyncCallbacks.ReadEntriesCallback) p[2], p[3]);
            }
        }

        void close() {
            closed = true;
            Object[] p = parked.poll();
            if (p != null) {
                ((AsyncCallbacks.ReadEntriesCallback) p[2]).readEntriesFailed(
                        new ManagedLedgerException.CursorAlreadyClosedException("Cursor is closing"), p[3]);
            }
        }

        private void read(int max, long bytes, AsyncCallbacks.ReadEntriesCallback cb, Object ctx) {
            reads++;
            if (closed || failReads || FakeLedger.this.failReads) {
                cb.readEntriesFailed(closed ? new ManagedLedgerException.CursorAlreadyClosedException("closed")
                        : new ManagedLedgerException.ManagedLedgerAlreadyClosedException("fenced"), ctx);
                return;
            }
            List<Entry> out = new ArrayList<>();
            long total = 0;
            while (readPosition < entries.size() && out.size() < max) {
                int len = entries.get((int) readPosition).length;
                if (!FakeLedger.this.overRead && !out.isEmpty() && total + len > bytes) {
                    break;
                }
                total += len;
                out.add(entry((int) readPosition++));
            }
            cb.readEntriesComplete(out, ctx);
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "getName":
                    return name;
                case "toString":
                    return "FakeCursor(" + name + ")";
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                case "asyncReadEntries":
                    if (args.length == 5) {
                        read((Integer) args[0], (Long) args[1], (AsyncCallbacks.ReadEntriesCallback) args[2], args[3]);
                        return null;
                    }
                    break;
                case "asyncReadEntriesOrWait":
                    if (args.length == 5) {
                        if (readPosition < entries.size() || closed || failReads || FakeLedger.this.failReads) {
                            read((Integer) args[0], (Long) args[1], (AsyncCallbacks.ReadEntriesCallback) args[2],
                                    args[3]);
                        } else {
                            parked.add(new Object[] {args[0], args[1], args[2], args[3]});
                        }
                        return null;
                    }
                    break;
                case "cancelPendingReadRequest":
                    return parked.poll() != null;
                case "seek": {
                    seeks++;
                    long to = ((Position) args[0]).getEntryId();
                    boolean force = args.length > 1 && (Boolean) args[1];
                    readPosition = !force && to <= markDelete ? markDelete + 1 : to;
                    return null;
                }
                case "getMarkDeletedPosition":
                    return pos(markDelete);
                case "getReadPosition":
                    return pos(readPosition);
                case "asyncMarkDelete":
                    if (args.length == 3) {
                        long to = ((Position) args[0]).getEntryId();
                        if (to < markDelete) {
                            ((AsyncCallbacks.MarkDeleteCallback) args[1]).markDeleteFailed(
                                    new ManagedLedgerException("already mark-deleted"), args[2]);
                            return null;
                        }
                        markDeletes++;
                        markDelete = to;
                        readPosition = Math.max(readPosition, to + 1);
                        ((AsyncCallbacks.MarkDeleteCallback) args[1]).markDeleteComplete(args[2]);
                        return null;
                    }
                    break;
                default:
                    break;
            }
            throw new UnsupportedOperationException("FakeCursor." + method.getName());
        }
    }
}
