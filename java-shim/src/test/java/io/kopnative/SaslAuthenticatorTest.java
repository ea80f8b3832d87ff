package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsonwebtoken.SignatureAlgorithm;
import java.net.InetSocketAddress;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.crypto.SecretKey;
import javax.naming.AuthenticationException;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.broker.authentication.AuthenticationDataSource;
import org.apache.pulsar.broker.authentication.AuthenticationProvider;
import org.apache.pulsar.broker.authentication.AuthenticationProviderToken;
import org.apache.pulsar.broker.authentication.utils.AuthTokenUtils;
import org.junit.jupiter.api.Test;

/** The SASL credential check against Pulsar's real token provider, with a key the test makes. */
class SaslAuthenticatorTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private final SecretKey key = AuthTokenUtils.createSecretKey(SignatureAlgorithm.HS256);

    @SuppressWarnings("deprecation") // initialize(ServiceConfiguration): what Pulsar 3.x and 4.0 both call
    private static AuthenticationProviderToken tokenProvider(SecretKey key) throws Exception {
        ServiceConfiguration conf = new ServiceConfiguration();
        conf.getProperties().setProperty("tokenSecretKey", "data:;base64," + AuthTokenUtils.encodeKeyBase64(key));
        AuthenticationProviderToken p = new AuthenticationProviderToken();
        p.initialize(conf);
        return p;
    }

    private SaslAuthenticator withToken() throws Exception {
        AuthenticationProviderToken p = tokenProvider(key);
        return new SaslAuthenticator(m -> m.equals("token") ? p : null, List.of("PLAIN"), 100);
    }

    private static SaslAuthenticator.Outcome check(SaslAuthenticator a, String method, String credential) {
        return a.authenticate(method, credential, CLIENT, null).join();
    }

    @Test
    void validTokenProvesItsSubjectAndExpiry() throws Exception {
        long exp = (System.currentTimeMillis() / 1000 + 3600) * 1000;
        String jwt = AuthTokenUtils.createToken(key, "alice", Optional.of(new Date(exp)));
        SaslAuthenticator.Outcome o = check(withToken(), "token", jwt);
        assertEquals(0, o.error(), o.message());
        assertEquals("alice", o.role());
        assertEquals(exp, o.expiresAtMs());

        String forever = AuthTokenUtils.createToken(key, "bob", Optional.empty());
        SaslAuthenticator.Outcome never = check(withToken(), "token", forever);
        assertEquals("bob", never.role());
        assertEquals(0, never.expiresAtMs());
    }

    @Test
    void refusedTokensFailWithoutTheToken() throws Exception {
        SecretKey other = AuthTokenUtils.createSecretKey(SignatureAlgorithm.HS256);
        String foreign = AuthTokenUtils.createToken(other, "mallory", Optional.empty());
        String expired = AuthTokenUtils.createToken(key, "alice",
                Optional.of(new Date(System.currentTimeMillis() - 60_000)));
        for (String jwt : List.of(foreign, expired, "not-a-jwt", "a.b.c")) {
            SaslAuthenticator.Outcome o = check(withToken(), "token", jwt);
            assertEquals(KafkaErrors.SASL_AUTHENTICATION_FAILED, o.error(), jwt);
            assertFalse(o.message().contains(jwt), o.message());
            assertEquals(null, o.role());
        }
    }

    @Test
    void unknownMethodNamesTheMethod() throws Exception {
        SaslAuthenticator.Outcome o = check(withToken(), "basic", "user:pw");
        assertEquals(KafkaErrors.SASL_AUTHENTICATION_FAILED, o.error());
        assertEquals("no Pulsar authentication provider for method basic", o.message());
        assertEquals(KafkaErrors.SASL_AUTHENTICATION_FAILED, check(withToken(), null, "x").error());
    }

    @Test
    void tokenFallsBackToOpenIdAndProviderMessagesAreScrubbed() {
        AuthenticationProvider openid = new FakeProvider("openid", "carol", null);
        SaslAuthenticator a = new SaslAuthenticator(m -> m.equals("openid") ? openid : null, List.of("OAUTHBEARER"),
                0);
        assertEquals("carol", check(a, "token", "opaque-token").role());

        AuthenticationProvider leaky = new FakeProvider("token", null, "bad token s3cr3t\nsecond line");
        SaslAuthenticator b = new SaslAuthenticator(m -> leaky, List.of("PLAIN"), 0);
        SaslAuthenticator.Outcome o = check(b, "token", "s3cr3t");
        assertEquals(KafkaErrors.SASL_AUTHENTICATION_FAILED, o.error());
        assertEquals("bad token <credential> second line", o.message());
    }

    @Test
    void jwtExpiryIsReadOnlyFromAWellFormedClaim() {
        assertEquals(0, SaslAuthenticator.jwtExpiryMs("x"));
        assertEquals(0, SaslAuthenticator.jwtExpiryMs("a.!!!.c"));
        String payload = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"sub\":\"a\",\"exp\":1700000000}".getBytes());
        assertEquals(1_700_000_000_000L, SaslAuthenticator.jwtExpiryMs("h." + payload + ".s"));
        String text = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"exp\":\"soon\"}".getBytes());
        assertEquals(0, SaslAuthenticator.jwtExpiryMs("h." + text + ".s"));
    }

    /** A provider that proves {@code role}, or fails with {@code failure}. */
    static class FakeProvider implements AuthenticationProvider {
        private final String method;
        private final String role;
        private final String failure;

        FakeProvider(String method, String role, String failure) {
            this.method = method;
            this.role = role;
            this.failure = failure;
        }

        @Override
        public void initialize(ServiceConfiguration config) {
        }

        @Override
        public String getAuthMethodName() {
            return method;
        }

        @Override
        public CompletableFuture<String> authenticateAsync(AuthenticationDataSource data) {
            assertTrue(data.hasDataFromCommand());
            return failure == null ? CompletableFuture.completedFuture(role)
                    : CompletableFuture.failedFuture(new AuthenticationException(failure));
        }

        @Override
        public void close() {
        }
    }

    @Test
    void configuredMechanismsAndDelayAreKept() {
        SaslAuthenticator a = new SaslAuthenticator(m -> null, List.of("PLAIN", "OAUTHBEARER"), 250);
        assertEquals(List.of("PLAIN", "OAUTHBEARER"), List.of(a.mechanisms()));
        assertEquals(250, a.failedDelayMs());
    }
}
