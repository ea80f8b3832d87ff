package io.kopnative;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Right after the SslHandler of a TLS listener: a failed handshake (no client certificate where
 * kopSslClientAuth=required, an untrusted one, a protocol or cipher mismatch, plain Kafka bytes
 * on a TLS port) is logged once at INFO with the client address, as Kafka logs a failed SSL
 * authentication, and the connection is closed; the Kafka handler never sees it.
 *
 * <p>After a successful handshake it finds the client's identity (mTLS): the role Pulsar's TLS
 * provider derives from the client certificate ({@link TlsIdentity}), or none. Only then does the
 * Kafka handler open its native connection, with that role ({@link Identified}); every byte read
 * before that is held here and passed on after the event, in order, so no request can run before
 * its connection knows who sent it.
 */
final class TlsHandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TlsHandshakeHandler.class);

    /** Fired down the pipeline once the client's identity is known; {@code role} "" for none. */
    record Identified(String role) {
    }

    private final Listener listener;
    private final SaslAuthenticator.Providers providers; // null: no certificate identity
    private boolean failureLogged;
    // Reads held until the identity is known (only the handshake's own bytes come before it, and
    // a client pipelines at most a few requests behind them); null once released.
    private List<Object> held = new ArrayList<>();

    TlsHandshakeHandler(Listener listener) {
        this(listener, null);
    }

    TlsHandshakeHandler(Listener listener, SaslAuthenticator.Providers providers) {
        this.listener = listener;
        this.providers = providers;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (held != null) {
            held.add(msg);
            return;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHeld();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseHeld();
        super.channelInactive(ctx);
    }

    private void releaseHeld() {
        if (held != null) {
            held.forEach(ReferenceCountUtil::release);
            held.clear();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                logFailure(ctx, done.cause());
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, evt);
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            SSLSession session = ssl == null ? null : ssl.engine().getSession();
            TlsIdentity.role(session, ctx.channel().remoteAddress(), providers).whenComplete((role, error) ->
                    ctx.executor().execute(() -> identified(ctx, role, error)));
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    // Event loop. A certificate the TLS handshake accepted but Pulsar's TLS provider refuses closes
    // the connection, as Pulsar's own listener refuses it.
    private void identified(ChannelHandlerContext ctx, String role, Throwable error) {
        if (!ctx.channel().isActive() || held == null) {
            releaseHeld();
            return;
        }
        if (error != null) {
            log.info("kop-native: [{}] closing Kafka connection on {}: Pulsar's TLS authentication provider "
                    + "refused the client certificate: {}", ctx.channel().remoteAddress(), listener,
                    error.getMessage());
            releaseHeld();
            ctx.close();
            return;
        }
        List<Object> reads = held;
        held = null;
        ctx.fireUserEventTriggered(new Identified(role == null ? "" : role));
        for (Object msg : reads) {
            ctx.fireChannelRead(msg);
        }
        if (!reads.isEmpty()) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        Throwable ssl = cause instanceof DecoderException && cause.getCause() instanceof SSLException
                ? cause.getCause() : cause;
        if (ssl instanceof SSLException) {
            logFailure(ctx, ssl);
            ctx.close();
            return;
        }
        super.exceptionCaught(ctx, cause);
    }

    // The SslHandler reports one failure twice (exception, then completion event): one line.
    private void logFailure(ChannelHandlerContext ctx, Throwable cause) {
        if (failureLogged) {
            return;
        }
        failureLogged = true;
        log.info("kop-native: [{}] closing Kafka connection on {}: TLS failed: {}", ctx.channel().remoteAddress(),
                listener, cause == null ? "unknown" : cause.getMessage());
    }
}
