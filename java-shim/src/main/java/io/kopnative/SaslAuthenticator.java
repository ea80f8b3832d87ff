package io.kopnative;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.SocketAddress;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSession;
import org.apache.pulsar.broker.authentication.AuthenticationDataCommand;
import org.apache.pulsar.broker.authentication.AuthenticationProvider;
import org.apache.pulsar.broker.authentication.AuthenticationService;

/**
 * SecurityPort::Authenticate for SASL listeners: a credential the core took from a SASL/PLAIN
 * password ({@code <method>:<credential>}) or an OAUTHBEARER token is checked by the broker's own
 * {@link AuthenticationService}, through the provider registered for the method, exactly as
 * Pulsar's binary protocol checks a CommandConnect's auth data. Never a second user list.
 * The credential is never logged, and is removed from any message a provider gives.
 */
final class SaslAuthenticator {
    /** Pulsar's method name of AuthenticationProviderToken (and of the OpenID Connect provider). */
    static final String TOKEN_METHOD = "token";
    /** Tried for "token" when no provider has that name (a broker set up with OpenID only). */
    static final String OPENID_METHOD = "openid";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_MESSAGE = 300;

    /** What the core gets back: error 0 with the role, or SASL_AUTHENTICATION_FAILED and why. */
    record Outcome(short error, String message, String role, long expiresAtMs) {
        static Outcome failed(String why) {
            return new Outcome(KafkaErrors.SASL_AUTHENTICATION_FAILED, why, null, 0);
        }
    }

    /** The providers by method name: the broker's {@link AuthenticationService#getAuthenticationProvider}. */
    @FunctionalInterface
    interface Providers {
        AuthenticationProvider get(String method);
    }

    private final Providers providers;
    private final List<String> mechanisms;
    private final long failedDelayMs;
    private final long maxReceiveSize;

    SaslAuthenticator(Providers providers, List<String> mechanisms, long failedDelayMs) {
        this(providers, mechanisms, failedDelayMs, KopConfig.DEFAULT_SASL_SERVER_MAX_RECEIVE_SIZE);
    }

    SaslAuthenticator(Providers providers, List<String> mechanisms, long failedDelayMs, long maxReceiveSize) {
        this.providers = providers;
        this.mechanisms = List.copyOf(mechanisms);
        this.failedDelayMs = failedDelayMs;
        this.maxReceiveSize = maxReceiveSize;
    }

    /** The broker's providers by method name (TLS listeners take the client certificate's role from them). */
    Providers providers() {
        return providers;
    }

    static SaslAuthenticator of(AuthenticationService service, KopConfig config) {
        return new SaslAuthenticator(service::getAuthenticationProvider, config.saslMechanisms(),
                config.failedAuthenticationDelayMs(), config.saslServerMaxReceiveSize());
    }

    /** The largest request frame read before authentication (sasl.server.max.receive.size). */
    long maxReceiveSize() {
        return maxReceiveSize;
    }

    /** The mechanisms SASL listeners offer (saslAllowedMechanisms). */
    String[] mechanisms() {
        return mechanisms.toArray(new String[0]);
    }

    /** How long a connection waits to be closed after a failed authentication (ms). */
    long failedDelayMs() {
        return failedDelayMs;
    }

    /**
     * Checks {@code credential} with the provider of {@code method}. The future always completes
     * normally: a refusal is an Outcome with an error. The token's expiry is read only after the
     * provider accepted it.
     */
    CompletableFuture<Outcome> authenticate(String method, String credential, SocketAddress remote,
                                            SSLSession ssl) {
        if (method == null || credential == null) {
            return CompletableFuture.completedFuture(Outcome.failed("the method or credential is not valid UTF-8"));
        }
        AuthenticationProvider provider = providers.get(method);
        if (provider == null && TOKEN_METHOD.equals(method)) {
            provider = providers.get(OPENID_METHOD);
        }
        if (provider == null) {
            return CompletableFuture.completedFuture(
                    Outcome.failed("no Pulsar authentication provider for method " + method));
        }
        CompletableFuture<String> role;
        try {
            role = provider.authenticateAsync(new AuthenticationDataCommand(credential, remote, ssl));
        } catch (Throwable t) {
            role = CompletableFuture.failedFuture(t);
        }
        return role.handle((r, error) -> {
            if (error != null) {
                return Outcome.failed(reason(error, credential));
            }
            if (r == null || r.isEmpty()) {
                return Outcome.failed("the provider proved no role");
            }
            long expires = TOKEN_METHOD.equals(method) ? jwtExpiryMs(credential) : 0;
            return new Outcome((short) 0, "", r, expires);
        });
    }

    /** The provider's reason, without the credential and bounded. */
    static String reason(Throwable error, String credential) {
        Throwable t = TopicMetadataService.unwrap(error);
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (credential != null && !credential.isEmpty()) {
            m = m.replace(credential, "<credential>");
        }
        m = m.replaceAll("[\\r\\n]+", " ");
        return m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE) + "..." : m;
    }

    /**
     * A JWT's {@code exp} claim in ms since the epoch; 0 when it has none or is not a JWT (then
     * the session does not expire on its own). Only called after the provider accepted the token.
     */
    static long jwtExpiryMs(String jwt) {
        String[] parts = jwt.split("\\.", -1);
        if (parts.length != 3) {
            return 0;
        }
        try {
            JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            JsonNode exp = claims == null ? null : claims.get("exp");
            if (exp == null || !exp.isNumber()) {
                return 0;
            }
            long seconds = exp.asLong();
            if (seconds <= 0) {
                return 0;
            }
            return seconds > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : seconds * 1000;
        } catch (Exception e) {
            return 0;
        }
    }
}
