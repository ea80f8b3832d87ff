import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Java kafka-clients over SASL_PLAINTEXT with SASL/PLAIN (tests/e2e/auth): user public/default,
 * password token:<jwt>, through sasl.jaas.config. Mode "ok": produce 5, consume them in a group,
 * commit and read the commit back. Mode "refused": a send fails with SaslAuthenticationException.
 * Prints "ok" last on success. Usage: SaslJavaClient MODE BOOTSTRAP TOPIC GROUP JWT
 */
public final class SaslJavaClient {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String bootstrap = args[1];
        String topic = args[2];
        String group = args[3];
        Properties auth = new Properties();
        auth.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        auth.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        auth.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        auth.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"public/default\" password=\"token:" + args[4] + "\";");

        Properties p = new Properties();
        p.putAll(auth);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            if (mode.equals("refused")) {
                try {
                    producer.send(new ProducerRecord<>(topic, "x")).get();
                    throw new AssertionError("a send with a refused token succeeded");
                } catch (Exception e) {
                    Throwable t = e;
                    while (t != null && !(t instanceof SaslAuthenticationException)) {
                        t = t.getCause();
                    }
                    if (t == null) {
                        throw new AssertionError("expected SaslAuthenticationException", e);
                    }
                    System.out.println("refused: " + t.getMessage());
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
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(java.util.Set.of(tp));
            if (committed.get(tp) == null || committed.get(tp).offset() != 5) {
                throw new AssertionError("committed " + committed);
            }
        }
        System.out.println("ok");
    }
}
