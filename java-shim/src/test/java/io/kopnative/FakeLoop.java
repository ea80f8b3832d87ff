package io.kopnative;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A connection's event loop for tests: the test thread is the loop; posted tasks wait for
 * {@link #runAll}, timers for {@link #advance} (virtual time).
 */
final class FakeLoop implements ReadCursors.Loop {
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final List<Timer> timers = new ArrayList<>();
    private long nanos = TimeUnit.SECONDS.toNanos(1000);
    boolean gone;

    private static final class Timer {
        final long due;
        final Runnable task;
        boolean cancelled;

        Timer(long due, Runnable task) {
            this.due = due;
            this.task = task;
        }
    }

    @Override
    public boolean inLoop() {
        return true;
    }

    @Override
    public void execute(Runnable task) {
        if (gone) {
            throw new RejectedExecutionException("loop gone");
        }
        tasks.add(task);
    }

    @Override
    public Runnable schedule(Runnable task, long delayMs) {
        Timer t = new Timer(nanos + TimeUnit.MILLISECONDS.toNanos(delayMs), task);
        timers.add(t);
        return () -> t.cancelled = true;
    }

    @Override
    public long nanoTime() {
        return nanos;
    }

    /** Runs posted tasks until none is left. */
    void runAll() {
        for (Runnable r; (r = tasks.poll()) != null; ) {
            r.run();
        }
    }

    /** Moves the clock on, running the timers that fall due (and what they post) in order. */
    void advance(long ms) {
        long end = nanos + TimeUnit.MILLISECONDS.toNanos(ms);
        runAll();
        while (true) {
            Timer next = timers.stream().filter(t -> !t.cancelled && t.due <= end)
                    .min(Comparator.comparingLong(t -> t.due)).orElse(null);
            if (next == null) {
                break;
            }
            timers.remove(next);
            nanos = Math.max(nanos, next.due);
            next.task.run();
            runAll();
        }
        timers.removeIf(t -> t.cancelled);
        nanos = end;
    }

    /** Timers not yet run nor cancelled. */
    long pendingTimers() {
        return timers.stream().filter(t -> !t.cancelled).count();
    }
}
