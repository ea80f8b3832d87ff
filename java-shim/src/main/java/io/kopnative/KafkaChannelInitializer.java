package io.kopnative;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Pipeline of one Kafka listener: on SSL and SASL_SSL listeners TLS first (an SslHandler from the
 * listener's current {@link ServerSslContext}, then {@link TlsHandshakeHandler}), then idle
 * timeout, then framing by the 4-byte big-endian size prefix (stripped), then
 * {@link KafkaFrameHandler}. A size above kafkaMaxFrameSize fails fast:
 * the decoder raises TooLongFrameException before allocating anything and the handler closes the
 * connection, as Kafka does for oversized requests.
 */
final class KafkaChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final NativeBroker broker;
    private final Listener listener;
    private final int maxFrameLength;
    private final long idleMs;
    private final TopicSource topics; // null in unit tests
    private final PartitionLog partitionLog; // null in unit tests
    private final ServerSslContext tls; // null: no TLS on this listener
    private final SaslAuthenticator sasl; // non-null on SASL listeners
    private final SaslAuthenticator.Providers providers; // the broker's authentication providers, or null
    private final Listener advertised; // the listener's kafkaAdvertisedListeners entry, or null

    KafkaChannelInitializer(NativeBroker broker, Listener listener, KopConfig config) {
        this(broker, listener, config, null);
    }

    KafkaChannelInitializer(NativeBroker broker, Listener listener, KopConfig config, TopicSource topics) {
        this(broker, listener, config, topics, null);
    }

    KafkaChannelInitializer(NativeBroker broker, Listener listener, KopConfig config, TopicSource topics,
                            PartitionLog partitionLog) {
        this(broker, listener, config, topics, partitionLog, null);
    }

    /** {@code sasl}: how a SASL listener authenticates (ignored, and may be null, on other listeners). */
    KafkaChannelInitializer(NativeBroker broker, Listener listener, KopConfig config, TopicSource topics,
                            PartitionLog partitionLog, SaslAuthenticator sasl) {
        this(broker, listener, config, topics, partitionLog, sasl, null);
    }

    /** {@code tls}: the TLS context of an SSL or SASL_SSL listener (required there, ignored elsewhere). */
    KafkaChannelInitializer(NativeBroker broker, Listener listener, KopConfig config, TopicSource topics,
                            PartitionLog partitionLog, SaslAuthenticator sasl, ServerSslContext tls) {
        if (TlsSettings.usesTls(listener.securityProtocol()) && tls == null) {
            // Never serve an SSL/SASL_SSL listener in clear text.
            throw new IllegalArgumentException("Kafka listener " + listener + " needs a TLS context");
        }
        this.tls = TlsSettings.usesTls(listener.securityProtocol()) ? tls : null;
        this.sasl = listener.securityProtocol().startsWith("SASL_") ? sasl : null;
        this.providers = sasl == null ? null : sasl.providers();
        this.advertised = config.advertisedListeners().stream().filter(a -> a.name().equals(listener.name()))
                .findFirst().orElse(null);
        this.partitionLog = partitionLog;
        this.broker = broker;
        this.topics = topics;
        this.listener = listener;
        // Netty's limit counts the 4-byte prefix too.
        this.maxFrameLength = config.maxFrameSize() + 4;
        this.idleMs = config.connectionMaxIdleMs();
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (tls != null) {
            // The context current now: a reload swaps it for later connections only.
            ch.pipeline().addLast("ssl", tls.current().newHandler(ch.alloc()));
            ch.pipeline().addLast("tls", new TlsHandshakeHandler(listener, providers));
        }
        if (idleMs > 0) {
            ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, idleMs, TimeUnit.MILLISECONDS));
        }
        for (ChannelHandler h : connectionHandlers()) {
            ch.pipeline().addLast(h instanceof KafkaFrameHandler ? "kafka" : "frameDecoder", h);
        }
    }

    /** The framing and Kafka handlers of one connection (tests drive them on an EmbeddedChannel). */
    ChannelHandler[] connectionHandlers() {
        KafkaFrameHandler handler = new KafkaFrameHandler(broker, listener, topics, partitionLog, sasl, advertised);
        return new ChannelHandler[] {newFrameDecoder(handler), handler};
    }

    // On a SASL listener, frames before authentication are limited to sasl.server.max.receive.size
    // (Kafka's SaslServerAuthenticator does the same), so an unauthenticated client cannot make the
    // broker buffer kafkaMaxFrameSize bytes.
    private LengthFieldBasedFrameDecoder newFrameDecoder(KafkaFrameHandler handler) {
        if (sasl == null) {
            return new LengthFieldBasedFrameDecoder(maxFrameLength, 0, 4, 0, 4);
        }
        long preAuthMax = sasl.maxReceiveSize();
        return new LengthFieldBasedFrameDecoder(maxFrameLength, 0, 4, 0, 4) {
            @Override
            protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
                if (!handler.authenticated() && in.readableBytes() >= 4) {
                    long size = in.getUnsignedInt(in.readerIndex());
                    if (size > preAuthMax) {
                        throw new TooLongFrameException("request frame of " + size + " bytes before SASL "
                                + "authentication, larger than " + KopConfig.SASL_SERVER_MAX_RECEIVE_SIZE + "="
                                + preAuthMax);
                    }
                }
                return super.decode(ctx, in);
            }
        };
    }
}
