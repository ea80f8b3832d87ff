package io.kopnative;

import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pulsar.broker.authentication.AuthenticationDataCommand;
import org.apache.pulsar.broker.authentication.AuthenticationProvider;
import org.apache.pulsar.broker.authentication.AuthenticationService;

/**
 * mTLS identity (issue 11): the Pulsar role of a Kafka client that presented a certificate, as
 * Pulsar's own TLS provider derives it (AuthenticationProviderTls: the certificate's subject
 * common name), so a certificate means the same role on the Kafka listener as on Pulsar's port.
 * Never a second user database: without the "tls" provider in authenticationProviders there is no
 * certificate identity.
 */
final class TlsIdentity {
    /** AuthenticationProviderTls.getAuthMethodName(). */
    static final String TLS_AUTH_METHOD = "tls";

    private TlsIdentity() {
    }

    /**
     * The role for the client certificate of {@code session}: completes with null when there is no
     * session, no peer certificate, or no "tls" provider configured; completes exceptionally
     * (javax.naming.AuthenticationException from the provider) when the provider refuses the
     * certificate. Call it once the TLS handshake succeeded (see {@link TlsHandshakeHandler}).
     */
    static CompletableFuture<String> role(SSLSession session, SocketAddress remote, AuthenticationService auth) {
        return role(session, remote, auth == null ? null : auth::getAuthenticationProvider);
    }

    /** As above, with the broker's providers by method name (null: none). */
    static CompletableFuture<String> role(SSLSession session, SocketAddress remote,
                                          SaslAuthenticator.Providers providers) {
        if (session == null || providers == null) {
            return CompletableFuture.completedFuture(null);
        }
        AuthenticationProvider provider = providers.get(TLS_AUTH_METHOD);
        if (provider == null) {
            return CompletableFuture.completedFuture(null);
        }
        Certificate[] peer;
        try {
            peer = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return CompletableFuture.completedFuture(null); // no client certificate (client auth none/requested)
        }
        if (peer == null || peer.length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            // The data source Pulsar's binary protocol hands the provider (ServerCnx): no command
            // data, the peer address, the TLS session whose first peer certificate is the client's.
            return provider.authenticateAsync(new AuthenticationDataCommand(null, remote, session));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
