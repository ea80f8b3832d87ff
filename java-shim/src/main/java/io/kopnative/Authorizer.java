package io.kopnative;

import java.util.concurrent.CompletableFuture;

/**
 * Where {@link KafkaFrameHandler} gets the core's SecurityPort::Authorize answers:
 * {@link PulsarAuthorizer} on a broker, a fake in unit tests. Futures may complete on any thread;
 * the handler re-posts them onto the channel's event loop.
 */
interface Authorizer {
    /** The core's TopicAction numbers (native/core/include/kop/core/broker.h), as they cross JNI. */
    int LOOKUP = 0;
    int PRODUCE = 1;
    int CONSUME = 2;
    int CREATE = 3;
    int DELETE = 4;
    int ALTER_PARTITIONS = 5;

    /**
     * Whether {@code role} may do {@code action} on the full Pulsar topic name {@code topic};
     * {@code subscription} is the group id for {@link #CONSUME} (may be empty).
     */
    CompletableFuture<Boolean> authorize(String role, String topic, int action, String subscription);

    /**
     * Whether {@code role} is a Pulsar superuser (SecurityPort::IsSuperUser: who may manage SCRAM
     * credentials when authorization is on). None is, unless the authorizer says so.
     */
    default CompletableFuture<Boolean> isSuperUser(String role) {
        return CompletableFuture.completedFuture(false);
    }
}
