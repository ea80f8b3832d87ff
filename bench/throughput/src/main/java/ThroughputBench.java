// Throughput client for bench/throughput/run: produces or consumes fixed-size records through either
// the Kafka protocol (kafka-clients, against kop-native's listener) or Pulsar's own protocol
// (pulsar-client, against the same broker), and prints one JSON line with what it measured.
//
//   java -cp CLASSPATH ThroughputBench MODE [--bootstrap HOST:PORT] [--service-url pulsar://HOST:PORT]
//        --topic TOPIC [--records N] [--size BYTES] [--timeout-s S]
//        [--idempotence true|false] [--max-in-flight N] [--fetch-bytes N] [--receiver-queue N]
//
// MODE is kafka-produce, kafka-consume, pulsar-produce or pulsar-consume. Both sides use the same
// settings where the two clients have an equivalent: 1 KiB values without keys from a pool of
// pseudo-random payloads, acks from every replica, 5 ms linger, 64 KiB batches, no compression, a
// 32 MiB send buffer that blocks when full; consumers read everything from the first offset/entry
// with about 1 MiB (1000 records) prefetched. The clock covers sending/receiving only: client
// construction (and, for the producers, connecting and looking the topic up) happens before it
// starts; for the consumers, subscribing and the first fetch are inside it. The Kafka producer is
// not idempotent by default (Pulsar's broker-side deduplication is off by default, so neither side
// pays for duplicate detection; --idempotence true measures Kafka's default) and keeps up to 20
// requests in flight (Kafka's default 5 x 64 KiB did not cover the produce latency on the test
// machine: 5 gave ~90 MB/s where 10 and 20 gave ~110, as much as the Pulsar producer; with
// idempotence kafka-clients allows at most 5, so that is what --idempotence true uses).
// --max-in-flight, --fetch-bytes and --receiver-queue exist to explore; bench/throughput/run does
// not pass them.
//
// Output (one line): {"phase":..., "topic":..., "records":N, "bytes":B, "seconds":S, "mb_per_s":X,
// "records_per_s":Y, "client_cpu_s":C, ...}. bytes counts record values only (records * size);
// MB is 10^6 bytes. client_cpu_s is this JVM's CPU time over the timed section (all threads).
// Exits 1 with a message on stderr if anything fails or the records do not all arrive in time.

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.pulsar.client.api.CompressionType;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SizeUnit;

public final class ThroughputBench {
  static final int BATCH_BYTES = 64 * 1024;
  static final int LINGER_MS = 5;
  static final long SEND_BUFFER_BYTES = 32L * 1024 * 1024;
  static final int KAFKA_FETCH_PARTITION_BYTES = 1024 * 1024;
  static final int PULSAR_RECEIVER_QUEUE = 1000;
  static final int PAYLOAD_POOL = 256;

  String mode;
  String bootstrap = "127.0.0.1:9092";
  String serviceUrl = "pulsar://127.0.0.1:6650";
  String topic;
  long records = 200_000;
  int size = 1024;
  boolean idempotence = false; // Pulsar's broker-side deduplication is off by default too
  int maxInFlight = -1; // 20, or 5 (the most kafka-clients allows) with idempotence
  int fetchBytes = KAFKA_FETCH_PARTITION_BYTES;
  int receiverQueue = PULSAR_RECEIVER_QUEUE;
  long timeoutNanos = TimeUnit.SECONDS.toNanos(600);
  String sslCa; // Kafka over TLS (an SSL listener) trusting this PEM CA; null: plaintext

  public static void main(String[] args) {
    ThroughputBench b = new ThroughputBench();
    try {
      b.parse(args);
      String line;
      switch (b.mode) {
        case "kafka-produce": line = b.kafkaProduce(); break;
        case "kafka-consume": line = b.kafkaConsume(); break;
        case "pulsar-produce": line = b.pulsarProduce(); break;
        case "pulsar-consume": line = b.pulsarConsume(); break;
        default: throw new IllegalArgumentException("unknown mode " + b.mode);
      }
      System.out.println(line);
      System.out.flush();
      System.exit(0);
    } catch (Throwable t) {
      System.err.println("ThroughputBench " + b.mode + " failed: " + t);
      t.printStackTrace();
      System.exit(1);
    }
  }

  void parse(String[] args) {
    if (args.length < 1) throw new IllegalArgumentException("usage: ThroughputBench MODE --topic T [options]");
    mode = args[0];
    for (int i = 1; i < args.length; i += 2) {
      if (i + 1 >= args.length) throw new IllegalArgumentException("missing value for " + args[i]);
      String v = args[i + 1];
      switch (args[i]) {
        case "--bootstrap": bootstrap = v; break;
        case "--service-url": serviceUrl = v; break;
        case "--topic": topic = v; break;
        case "--records": records = Long.parseLong(v); break;
        case "--size": size = Integer.parseInt(v); break;
        case "--idempotence": idempotence = Boolean.parseBoolean(v); break;
        case "--max-in-flight": maxInFlight = Integer.parseInt(v); break;
        case "--fetch-bytes": fetchBytes = Integer.parseInt(v); break;
        case "--receiver-queue": receiverQueue = Integer.parseInt(v); break;
        case "--timeout-s": timeoutNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(v)); break;
        case "--ssl-ca": sslCa = v; break;
        default: throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (topic == null) throw new IllegalArgumentException("--topic is required");
    if (records <= 0 || size <= 0) throw new IllegalArgumentException("--records and --size must be > 0");
  }

  // Distinct pseudo-random values (fixed seed), reused round-robin: incompressible, no per-record
  // generation cost in the timed loop. Both clients copy a value into their batch before sending,
  // so sharing the arrays is safe.
  byte[][] payloads() {
    SplittableRandom rnd = new SplittableRandom(0x6b6f70L);
    byte[][] pool = new byte[PAYLOAD_POOL][size];
    for (byte[] p : pool) {
      for (int i = 0; i < p.length; i++) p[i] = (byte) rnd.nextInt(256);
    }
    return pool;
  }

  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  String result(long n, long bytes, long startNanos, long endNanos, long cpuStart, String extra) {
    double s = (endNanos - startNanos) / 1e9;
    double cpu = (cpuNanos() - cpuStart) / 1e9;
    return String.format(Locale.ROOT,
        "{\"phase\":\"%s\",\"topic\":\"%s\",\"records\":%d,\"bytes\":%d,\"seconds\":%.3f,"
            + "\"mb_per_s\":%.2f,\"records_per_s\":%.0f,\"client_cpu_s\":%.2f,\"record_size\":%d%s}",
        mode, topic, n, bytes, s, bytes / s / 1e6, n / s, cpu, size, extra);
  }

  void checkDeadline(long start, long done) {
    if (System.nanoTime() - start > timeoutNanos) {
      throw new IllegalStateException("timed out after " + done + " of " + records + " records");
    }
  }

  // --ssl-ca: the Kafka client speaks TLS to an SSL listener, trusting that CA (PEM).
  void tls(Properties p) {
    if (sslCa == null) return;
    p.put("security.protocol", "SSL");
    p.put("ssl.truststore.type", "PEM");
    p.put("ssl.truststore.location", sslCa);
  }

  String kafkaProduce() throws Exception {
    if (maxInFlight < 0) maxInFlight = idempotence ? 5 : 20;
    byte[][] pool = payloads();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-throughput");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, LINGER_MS);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, BATCH_BYTES);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, SEND_BUFFER_BYTES);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, maxInFlight);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotence);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    tls(p);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      producer.partitionsFor(topic); // metadata and the connection, before the clock
      CountDownLatch done = new CountDownLatch(1);
      AtomicLong acked = new AtomicLong();
      AtomicReference<Exception> error = new AtomicReference<>();
      long cpu0 = cpuNanos();
      long t0 = System.nanoTime();
      for (long i = 0; i < records; i++) {
        producer.send(new ProducerRecord<>(topic, 0, null, pool[(int) (i % PAYLOAD_POOL)]), (md, e) -> {
          if (e != null) error.compareAndSet(null, e);
          if (acked.incrementAndGet() == records) done.countDown();
        });
        if (error.get() != null) break;
      }
      producer.flush();
      while (!done.await(100, TimeUnit.MILLISECONDS) && error.get() == null) checkDeadline(t0, acked.get());
      long t1 = System.nanoTime();
      if (error.get() != null) throw new IllegalStateException("send failed", error.get());
      return result(records, records * size, t0, t1, cpu0, ",\"idempotence\":" + idempotence
          + ",\"max_in_flight\":" + maxInFlight
          + metrics(producer.metrics(), "producer-metrics", "request-latency-avg", "batch-size-avg",
                    "records-per-request-avg", "record-queue-time-avg"));
    }
  }

  String kafkaConsume() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-throughput");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, fetchBytes);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    tls(p);
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      long cpu0 = cpuNanos();
      long t0 = System.nanoTime();
      consumer.assign(List.of(tp));
      consumer.seek(tp, 0);
      long n = 0, bytes = 0, nextOffset = 0;
      while (n < records) {
        ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<byte[], byte[]> r : polled) {
          if (r.offset() != nextOffset) {
            throw new IllegalStateException("offset " + r.offset() + " where " + nextOffset + " was expected");
          }
          nextOffset++;
          n++;
          bytes += r.value() == null ? 0 : r.value().length;
        }
        checkDeadline(t0, n);
      }
      long t1 = System.nanoTime();
      return result(n, bytes, t0, t1, cpu0,
          metrics(consumer.metrics(), "consumer-fetch-manager-metrics", "fetch-latency-avg", "fetch-size-avg",
                  "records-per-request-avg"));
    }
  }

  /** Selected client metrics (group-level, no tags beyond client-id) as extra JSON fields. */
  static String metrics(java.util.Map<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric> all,
                        String group, String... names) {
    StringBuilder sb = new StringBuilder();
    for (String name : names) {
      for (var e : all.entrySet()) {
        org.apache.kafka.common.MetricName mn = e.getKey();
        if (mn.group().equals(group) && mn.name().equals(name) && mn.tags().size() == 1) {
          Object v = e.getValue().metricValue();
          if (v instanceof Double d && !d.isNaN() && !d.isInfinite()) {
            sb.append(String.format(Locale.ROOT, ",\"%s\":%.2f", name.replace('-', '_'), d));
          }
          break;
        }
      }
    }
    return sb.toString();
  }

  PulsarClient pulsarClient() throws Exception {
    return PulsarClient.builder()
        .serviceUrl(serviceUrl)
        .memoryLimit(SEND_BUFFER_BYTES, SizeUnit.BYTES)
        .ioThreads(1)
        .listenerThreads(1)
        .build();
  }

  String pulsarProduce() throws Exception {
    byte[][] pool = payloads();
    try (PulsarClient client = pulsarClient();
         Producer<byte[]> producer = client.newProducer(Schema.BYTES)
             .topic(topic)
             .enableBatching(true)
             .batchingMaxPublishDelay(LINGER_MS, TimeUnit.MILLISECONDS)
             .batchingMaxBytes(BATCH_BYTES)
             .batchingMaxMessages(10_000) // the byte limit closes batches first
             .compressionType(CompressionType.NONE)
             .blockIfQueueFull(true)
             .maxPendingMessages(0) // bounded by the client's memoryLimit, like Kafka's buffer.memory
             .sendTimeout(120, TimeUnit.SECONDS)
             .create()) {
      CountDownLatch done = new CountDownLatch(1);
      AtomicLong acked = new AtomicLong();
      AtomicReference<Throwable> error = new AtomicReference<>();
      long cpu0 = cpuNanos();
      long t0 = System.nanoTime();
      for (long i = 0; i < records; i++) {
        producer.sendAsync(pool[(int) (i % PAYLOAD_POOL)]).whenComplete((id, e) -> {
          if (e != null) error.compareAndSet(null, e);
          if (acked.incrementAndGet() == records) done.countDown();
        });
        if (error.get() != null) break;
      }
      producer.flush();
      while (!done.await(100, TimeUnit.MILLISECONDS) && error.get() == null) checkDeadline(t0, acked.get());
      long t1 = System.nanoTime();
      if (error.get() != null) throw new IllegalStateException("send failed", error.get());
      return result(records, records * size, t0, t1, cpu0, "");
    }
  }

  String pulsarConsume() throws Exception {
    try (PulsarClient client = pulsarClient()) {
      long cpu0 = cpuNanos();
      long t0 = System.nanoTime();
      try (Reader<byte[]> reader = client.newReader(Schema.BYTES)
          .topic(topic)
          .startMessageId(MessageId.earliest)
          .receiverQueueSize(receiverQueue)
          .create()) {
        long n = 0, bytes = 0;
        while (n < records) {
          Message<byte[]> m = reader.readNext(200, TimeUnit.MILLISECONDS);
          if (m != null) {
            n++;
            bytes += m.getData().length;
          }
          checkDeadline(t0, n);
        }
        long t1 = System.nanoTime();
        return result(n, bytes, t0, t1, cpu0, "");
      }
    }
  }
}
