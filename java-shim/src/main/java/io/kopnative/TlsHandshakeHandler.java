package io.kopnative;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Right after the SslHandler of a TLS listener: a failed handshake (no client certificate where
 * kopSslClientAuth=required, an untrusted one, a protocol or cipher mismatch, plain Kafka bytes
 * on a TLS port) is logged once at INFO with the client address, as Kafka logs a failed SSL
 * authentication, and the connection is closed; the Kafka handler never sees it.
 */
final class TlsHandshakeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TlsHandshakeHandler.class);

    private final Listener listener;
    private boolean failureLogged;

    TlsHandshakeHandler(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                logFailure(ctx, done.cause());
                ctx.close();
                return;
            }
            // LEAD (issue 11, mTLS identity): here, after the handshake and before the first Kafka
            // frame is handed to the core, take the session from the pipeline's SslHandler
            // (ctx.pipeline().get(SslHandler.class).engine().getSession()) and call
            // TlsIdentity.role(session, ctx.channel().remoteAddress(), authenticationService); on an
            // SSL listener with kopSslClientAuth=required its role becomes the connection's principal
            // (an exceptional completion closes the connection). Frames that arrive before the role
            // is known must wait for it.
        }
        super.userEventTriggered(ctx, evt);
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
