package io.kopnative;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.internal.PlatformDependent;

/** Copies out of native memory that the core lends to an upcall for its duration only. */
final class NativeMemory {
    private NativeMemory() {
    }

    /**
     * A direct buffer from {@code alloc} holding the {@code length} bytes at {@code address}: one
     * copy, straight between the two addresses when the buffer has one. The caller owns (releases)
     * the buffer; it is released here if the copy fails.
     */
    static ByteBuf copy(ByteBufAllocator alloc, long address, int length) {
        ByteBuf out = alloc.directBuffer(length, length);
        boolean ok = false;
        try {
            if (length > 0) {
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
            }
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.release();
            }
        }
    }
}
