package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.broker.authentication.AuthenticationDataSource;
import org.apache.pulsar.broker.authorization.AuthorizationService;
import org.apache.pulsar.broker.authorization.PulsarAuthorizationProvider;
import org.apache.pulsar.broker.resources.PulsarResources;
import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.policies.data.NamespaceOperation;
import org.apache.pulsar.common.policies.data.PolicyName;
import org.apache.pulsar.common.policies.data.PolicyOperation;
import org.junit.jupiter.api.Test;

/** Each core action asks the AuthorizationService method Pulsar itself uses for it. */
class PulsarAuthorizerTest {
    private static final String TOPIC = "persistent://acme/prod/orders";

    /** Pulsar's provider without its metadata store: the checks below never reach it. */
    public static final class NoStoreProvider extends PulsarAuthorizationProvider {
        @Override
        public void initialize(ServiceConfiguration conf, PulsarResources resources) {
        }
    }

    /** Records every call; allows only what {@code allowed} names. */
    static final class RecordingService extends AuthorizationService {
        final List<String> calls = new ArrayList<>();
        String allowed = "";
        String subscription;

        RecordingService() throws Exception {
            super(conf(), null);
        }

        private static ServiceConfiguration conf() {
            ServiceConfiguration c = new ServiceConfiguration();
            c.setAuthorizationProvider(NoStoreProvider.class.getName());
            return c;
        }

        private CompletableFuture<Boolean> record(String call) {
            calls.add(call);
            return CompletableFuture.completedFuture(call.equals(allowed));
        }

        @Override
        public CompletableFuture<Boolean> canLookupAsync(TopicName t, String role, AuthenticationDataSource a) {
            return record("lookup " + role + " " + t);
        }

        @Override
        public CompletableFuture<Boolean> canProduceAsync(TopicName t, String role, AuthenticationDataSource a) {
            return record("produce " + role + " " + t);
        }

        @Override
        public CompletableFuture<Boolean> canConsumeAsync(TopicName t, String role, AuthenticationDataSource a,
                                                          String sub) {
            subscription = sub;
            return record("consume " + role + " " + t);
        }

        @Override
        public CompletableFuture<Boolean> allowNamespaceOperationAsync(NamespaceName ns, NamespaceOperation op,
                                                                       String role, AuthenticationDataSource a) {
            return record(op + " " + role + " " + ns);
        }

        @Override
        public CompletableFuture<Boolean> allowTopicPolicyOperationAsync(TopicName t, PolicyName p,
                                                                         PolicyOperation op, String role,
                                                                         AuthenticationDataSource a) {
            return record(p + " " + op + " " + role + " " + t);
        }
    }

    @Test
    void eachActionAsksPulsarsCheck() throws Exception {
        RecordingService s = new RecordingService();
        PulsarAuthorizer a = new PulsarAuthorizer(s);
        s.allowed = "produce bob " + TOPIC;
        assertTrue(a.authorize("bob", TOPIC, Authorizer.PRODUCE, "").get());
        assertFalse(a.authorize("bob", TOPIC, Authorizer.LOOKUP, "").get());
        assertFalse(a.authorize("bob", TOPIC, Authorizer.CONSUME, "g1").get());
        assertEquals("g1", s.subscription);
        assertFalse(a.authorize("bob", TOPIC, Authorizer.CONSUME, "").get());
        assertNull(s.subscription);
        assertFalse(a.authorize("bob", TOPIC, Authorizer.CREATE, "").get());
        assertFalse(a.authorize("bob", TOPIC, Authorizer.DELETE, "").get());
        assertFalse(a.authorize("bob", TOPIC, Authorizer.ALTER_PARTITIONS, "").get());
        assertEquals(List.of("produce bob " + TOPIC, "lookup bob " + TOPIC, "consume bob " + TOPIC,
                "consume bob " + TOPIC, "CREATE_TOPIC bob acme/prod", "DELETE_TOPIC bob acme/prod",
                "PARTITION WRITE bob " + TOPIC), s.calls);
        assertThrows(ExecutionException.class, () -> a.authorize("bob", TOPIC, 99, "").get());
    }
}
