package io.kopnative;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.broker.protocol.ProtocolHandler;
import org.apache.pulsar.broker.service.BrokerService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulsar's entry point: {@code messagingProtocols=kafka} loads this class from the NAR. It reads
 * the configuration, loads libkopnative.so, creates the native core and gives Pulsar one Netty
 * channel initializer per Kafka listener. The Kafka protocol itself lives in the native core.
 */
public class KafkaProtocolHandler implements ProtocolHandler {
    public static final String PROTOCOL_NAME = "kafka";
    private static final Logger log = LoggerFactory.getLogger(KafkaProtocolHandler.class);

    private KopConfig config;
    private NativeBroker broker;
    private TopicMetadataService topics;
    private ProduceService produce;

    @Override
    public String protocolName() {
        return PROTOCOL_NAME;
    }

    @Override
    public boolean accept(String protocol) {
        return PROTOCOL_NAME.equalsIgnoreCase(protocol);
    }

    @Override
    public void initialize(ServiceConfiguration conf) throws Exception {
        try {
            config = KopConfig.from(conf);
        } catch (IllegalArgumentException e) {
            log.error("kop-native: refusing to start the Kafka protocol handler: {}", e.getMessage());
            throw e;
        }
        NativeBridge.load();
        broker = NativeBroker.create(config.toNativeKeysAndValues());
        log.info("kop-native: Kafka protocol handler initialized: kafkaListeners={}, kafkaAdvertisedListeners={}, "
                + "settings={}", config.listeners(), config.advertisedListenersText(), config.effective());
    }

    @Override
    public String getProtocolDataToAdvertise() {
        return config == null ? "" : config.advertisedListenersText();
    }

    @Override
    public void start(BrokerService service) {
        TopicNames names = new TopicNames(config.effective().get(KopConfig.KAFKA_TENANT),
                config.effective().get(KopConfig.KAFKA_NAMESPACE));
        topics = new TopicMetadataService(service, names, TopicMetadataService.DEFAULT_TIMEOUT_MS);
        produce = new ProduceService(service, names, TopicMetadataService.DEFAULT_TIMEOUT_MS);
        topics.setChangeListener(produce::invalidate);
        broker.startTicker(NativeBroker.TICK_INTERVAL_MS);
        log.info("kop-native: Kafka protocol handler started on broker {}", service.getPulsar().getBrokerId());
    }

    @Override
    public Map<InetSocketAddress, ChannelInitializer<SocketChannel>> newChannelInitializers() {
        Map<InetSocketAddress, ChannelInitializer<SocketChannel>> out = new LinkedHashMap<>();
        for (Listener l : config.listeners()) {
            out.put(l.bindAddress(), new KafkaChannelInitializer(broker, l, config, topics, produce));
            log.info("kop-native: Kafka listener {} on {}", l, l.bindAddress());
        }
        return out;
    }

    @Override
    public void close() {
        if (broker != null) {
            // Stops and awaits the tick thread, then destroys the native broker.
            broker.close();
            broker = null;
        }
        log.info("kop-native: Kafka protocol handler closed");
    }
}
