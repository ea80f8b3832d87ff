package io.kopnative;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where {@link KafkaFrameHandler} gets the core's SecurityPort::ListPermissions and
 * ChangePermission answers (the Kafka ACL APIs): {@link PulsarPermissions} on a broker, a fake in
 * unit tests. Futures may complete on any thread.
 */
interface PermissionStore {
    /** onNativePermissions's op numbers (jni-bridge/src/connection_handle.cc). */
    int LIST = 0;
    int GRANT = 1;
    int REVOKE = 2;
    /** The core's Permission::Scope numbers (native/core/include/kop/core/broker.h). */
    int SCOPE_NAMESPACE = 0;
    int SCOPE_TOPIC = 1;
    int SCOPE_SUBSCRIPTION = 2;
    /** The core's Permission action bits: Pulsar's AuthAction produce and consume. */
    int PRODUCE = 1;
    int CONSUME = 2;

    /** One permission: {@code name} is the full topic (topic scope), the subscription, or empty. */
    record Entry(int scope, String name, String role, int actions) {
    }

    /** A Kafka error code (0: done), why not, and a listing's entries. */
    record Result(short error, String message, List<Entry> entries) {
        static Result ok(List<Entry> entries) {
            return new Result(KafkaErrors.NONE, null, entries);
        }

        static Result error(short error, String message) {
            return new Result(error, message, List.of());
        }
    }

    /**
     * Lists ({@link #LIST}) the permissions of {@code namespace} ("tenant/namespace"), or grants or
     * revokes {@code change} there, if {@code caller} may manage them (else
     * CLUSTER_AUTHORIZATION_FAILED).
     */
    CompletableFuture<Result> call(int op, String caller, String namespace, Entry change);
}
