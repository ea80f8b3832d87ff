import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.auth.SaslExtensionsCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Java kafka-clients against a secured Kafka listener (tests/e2e/auth, tests/e2e/tls). The
 * security settings come as KEY=VALUE arguments (security.protocol, sasl.*, ssl.*), so one client
 * covers SASL_PLAINTEXT, SASL_SSL, SSL and mTLS.
 *
 * <p>Modes: "ok": produce 5, consume them in a group, commit and read the commit back; "refused":
 * a send fails with SaslAuthenticationException; "denied": a send fails with
 * TopicAuthorizationException. Prints "ok" last on success.
 *
 * <p>OAUTHBEARER without a token endpoint (the tests have no network): {@link TokenHandler} is a
 * login callback handler that hands over the token given as the JAAS option {@code token}.
 *
 * <p>Usage: SecureJavaClient MODE BOOTSTRAP TOPIC GROUP [KEY=VALUE ...]
 */
public final class SecureJavaClient {
    /** sasl.login.callback.handler.class for OAUTHBEARER: the test's token, as is. */
    public static final class TokenHandler implements AuthenticateCallbackHandler {
        private String token;

        @Override
        public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> entries) {
            token = (String) entries.get(0).getOptions().get("token");
        }

        @Override
        public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
            for (Callback cb : callbacks) {
                if (cb instanceof OAuthBearerTokenCallback tokenCallback) {
                    tokenCallback.token(bearer(token));
                } else if (!(cb instanceof SaslExtensionsCallback)) {
                    throw new UnsupportedCallbackException(cb);
                }
            }
        }

        @Override
        public void close() {
        }

        private static OAuthBearerToken bearer(String jwt) {
            long now = System.currentTimeMillis();
            return new OAuthBearerToken() {
                @Override
                public String value() {
                    return jwt;
                }

                @Override
                public Set<String> scope() {
                    return Set.of();
                }

                @Override
                public long lifetimeMs() {
                    return now + 3_600_000L;
                }

                @Override
                public String principalName() {
                    return "kop-e2e";
                }

                @Override
                public Long startTimeMs() {
                    return now;
                }
            };
        }
    }

    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String topic = args[2];
        String group = args[3];
        Properties auth = new Properties();
        auth.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, args[1]);
        for (int i = 4; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            auth.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }

        Properties p = new Properties();
        p.putAll(auth);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            if (!mode.equals("ok")) {
                Class<? extends Exception> want = mode.equals("refused")
                        ? SaslAuthenticationException.class : TopicAuthorizationException.class;
                try {
                    producer.send(new ProducerRecord<>(topic, "x")).get();
                    throw new AssertionError("a send that should be " + mode + " succeeded");
                } catch (Exception e) {
                    Exception t = cause(e, want);
                    if (t == null) {
                        throw new AssertionError("expected " + want.getSimpleName(), e);
                    }
                    System.out.println(mode + ": " + t.getClass().getSimpleName() + ": " + t.getMessage());
                    System.out.println("ok");
                    return;
                }
            }
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(topic, "java-" + i)).get();
            }
        }

        Properties c = new Properties();
        c.putAll(auth);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of(topic));
            List<String> got = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 60_000;
            while (got.size() < 5 && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    got.add(r.value());
                }
            }
            if (!got.equals(List.of("java-0", "java-1", "java-2", "java-3", "java-4"))) {
                throw new AssertionError("consumed " + got);
            }
            consumer.commitSync();
            TopicPartition tp = new TopicPartition(topic, 0);
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.of(tp));
            if (committed.get(tp) == null || committed.get(tp).offset() != 5) {
                throw new AssertionError("committed " + committed);
            }
        }
        System.out.println("ok");
    }
}
