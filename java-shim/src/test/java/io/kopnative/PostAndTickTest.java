package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * ResponseSink::Post and Broker::Tick through the real libkopnative.so, without a Pulsar broker.
 * The core does not post yet, so posts come from the bridge's test entry point
 * {@link NativeBridge#nativeDebugPost}, which goes through the same ResponseSink::Post: a task
 * that sends the frame [4][value] when it runs on the event loop.
 */
class PostAndTickTest extends NativeTestBase {
    static long handleOf(EmbeddedChannel ch) {
        return ch.pipeline().get(KafkaFrameHandler.class).nativeConnection();
    }

    /** The values of the [4][value] frames written so far (each frame is one outbound buffer). */
    static List<Integer> postedValues(EmbeddedChannel ch) {
        List<Integer> out = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            try {
                while (b.readableBytes() >= 8) {
                    assertEquals(4, b.readInt());
                    out.add(b.readInt());
                }
                assertEquals(0, b.readableBytes());
            } finally {
                b.release();
            }
        }
        return out;
    }

    @Test
    void tasksPostedFromOtherThreadsRunLaterOnTheEventLoopInOrder() throws Exception {
        EmbeddedChannel ch = connect();
        long conn = handleOf(ch);
        assertNotEquals(0, conn);
        int threads = 4;
        int perThread = 500;
        List<Thread> posters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int base = t * 1_000_000;
            posters.add(new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    assertEquals(NativeBridge.OK, NativeBridge.nativeDebugPost(conn, base + i));
                }
            }, "poster-" + t));
        }
        posters.forEach(Thread::start);
        for (Thread t : posters) {
            t.join();
        }
        assertNull(ch.readOutbound(), "a posted task ran on the posting thread");
        ch.runPendingTasks();
        List<Integer> values = postedValues(ch);
        assertEquals(threads * perThread, values.size());
        int[] next = new int[threads];
        for (int v : values) {
            int t = v / 1_000_000;
            assertEquals(next[t]++, v % 1_000_000, "posts of one thread run in order");
        }
        // The queue is empty again; a new post schedules a new run.
        assertEquals(NativeBridge.OK, NativeBridge.nativeDebugPost(conn, 7));
        ch.runPendingTasks();
        assertEquals(List.of(7), postedValues(ch));
        assertTrue(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void closingDropsQueuedTasksAndLaterPosts() {
        EmbeddedChannel ch = connect();
        long conn = handleOf(ch);
        assertEquals(NativeBridge.OK, NativeBridge.nativeDebugPost(conn, 1));
        assertEquals(NativeBridge.OK, NativeBridge.nativeDebugPost(conn, 2));
        // The native connection goes before the scheduled run (EmbeddedChannel.close() would run
        // pending tasks first; removing the handler releases the connection without running them).
        ch.pipeline().remove(KafkaFrameHandler.class);
        ch.runPendingTasks();
        assertEquals(List.of(), postedValues(ch));
        assertEquals(NativeBridge.ERR_BAD_HANDLE, NativeBridge.nativeDebugPost(conn, 3));
        assertEquals(NativeBridge.ERR_BAD_HANDLE, NativeBridge.nativeRunPosted(conn));
        assertEquals(NativeBridge.ERR_BAD_HANDLE, NativeBridge.nativeRunPosted(0));
        assertEquals(NativeBridge.ERR_BAD_HANDLE, NativeBridge.nativeRunPosted(0x1000));
        ch.finishAndReleaseAll();
    }

    @Test
    void postsRaceWithARealEventLoopAndWithClose() throws Exception {
        DefaultEventLoopGroup group = new DefaultEventLoopGroup(2);
        LocalAddress address = new LocalAddress("kop-post-test-" + System.nanoTime());
        AtomicReference<KafkaFrameHandler> serverHandler = new AtomicReference<>();
        AtomicReference<Channel> serverChannel = new AtomicReference<>();
        CountDownLatch active = new CountDownLatch(1);
        Channel server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        ch.pipeline().addLast(initializer.connectionHandlers());
                        serverHandler.set(ch.pipeline().get(KafkaFrameHandler.class));
                        serverChannel.set(ch);
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                active.countDown();
                                ctx.fireChannelActive();
                            }
                        });
                    }
                }).bind(address).sync().channel();
        long[] received = new long[1];
        Channel client = new Bootstrap().group(group).channel(LocalChannel.class)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf b = (ByteBuf) msg;
                        synchronized (received) {
                            received[0] += b.readableBytes();
                        }
                        b.release();
                    }
                }).connect(address).sync().channel();
        try {
            assertTrue(active.await(10, TimeUnit.SECONDS));
            KafkaFrameHandler h = serverHandler.get();
            Channel serverChild = serverChannel.get();
            long conn = serverChild.eventLoop().submit(h::nativeConnection).get(10, TimeUnit.SECONDS);
            assertNotEquals(0, conn);
            int threads = 3;
            int perThread = 2000;
            List<Thread> posters = new ArrayList<>();
            long[] accepted = new long[threads];
            for (int t = 0; t < threads; t++) {
                int index = t;
                posters.add(new Thread(() -> {
                    for (int i = 0; i < perThread; i++) {
                        if (NativeBridge.nativeDebugPost(conn, i) == NativeBridge.OK) {
                            accepted[index]++;
                        }
                    }
                }, "poster-" + t));
            }
            posters.forEach(Thread::start);
            for (Thread t : posters) {
                t.join();
            }
            long expected = 8L * threads * perThread;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                synchronized (received) {
                    if (received[0] >= expected) {
                        break;
                    }
                }
                Thread.sleep(10);
            }
            synchronized (received) {
                assertEquals(expected, received[0], "every posted frame arrived");
            }
            // Now posts race with the connection closing: none may crash or arrive after close.
            List<Thread> racers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                racers.add(new Thread(() -> {
                    for (int i = 0; i < perThread; i++) {
                        NativeBridge.nativeDebugPost(conn, i);
                    }
                }));
            }
            racers.forEach(Thread::start);
            client.close().sync();
            for (Thread t : racers) {
                t.join();
            }
            serverChild.closeFuture().await(10, TimeUnit.SECONDS);
            // channelInactive (which releases the native connection) runs after the close future.
            long closedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (serverChild.eventLoop().submit(h::nativeConnection).get(10, TimeUnit.SECONDS) != 0
                    && System.nanoTime() < closedBy) {
                Thread.sleep(5);
            }
            assertEquals(NativeBridge.ERR_BAD_HANDLE, NativeBridge.nativeDebugPost(conn, 1));
        } finally {
            client.close().sync();
            server.close().sync();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void theTickerTicksUntilClosed() throws Exception {
        assertEquals(NativeBridge.OK, NativeBridge.nativeTick(handleField(broker)));
        broker.startTicker(5);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (broker.ticks() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(broker.ticks() >= 3, "ticks: " + broker.ticks());
        broker.close(); // stops and awaits the tick thread before destroying the handle
        long after = broker.ticks();
        Thread.sleep(50);
        assertEquals(after, broker.ticks(), "ticked after close");
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertTrue(!t.getName().equals("kop-native-tick") || !t.isAlive(), "tick thread still running");
        }
        assertEquals(NativeBridge.ERR_BAD_HANDLE, NativeBridge.nativeTick(0));
    }

    @Test
    void aTickerIsStartedOnce() throws Exception {
        broker.startTicker(5);
        broker.startTicker(5);
        long threads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("kop-native-tick") && t.isAlive()).count();
        assertEquals(1, threads);
    }

    private static long handleField(NativeBroker b) throws Exception {
        java.lang.reflect.Field f = NativeBroker.class.getDeclaredField("handle");
        f.setAccessible(true);
        return f.getLong(b);
    }
}
