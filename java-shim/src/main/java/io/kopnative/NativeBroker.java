package io.kopnative;

/**
 * Owns the native broker handle. Opening a connection and destroying the broker are serialized,
 * so a channel accepted while the handler closes never sees a freed handle.
 */
final class NativeBroker implements AutoCloseable {
    private long handle;

    private NativeBroker(long handle) {
        this.handle = handle;
    }

    static NativeBroker create(String[] keysAndValues) {
        long h = NativeBridge.nativeCreateBroker(keysAndValues);
        if (h == 0) {
            throw new IllegalStateException("kop-native: the native core refused to start (see the "
                    + "io.kopnative.native log lines above)");
        }
        return new NativeBroker(h);
    }

    /** A native connection handle for {@code handler}, or 0 if the broker is closed or refused. */
    synchronized long openConnection(KafkaFrameHandler handler) {
        return handle == 0 ? 0 : NativeBridge.nativeOpenConnection(handle, handler);
    }

    @Override
    public synchronized void close() {
        if (handle != 0) {
            NativeBridge.nativeDestroyBroker(handle);
            handle = 0;
        }
    }
}
