package io.kopnative;

import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.broker.authorization.AuthorizationService;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.policies.data.NamespaceOperation;
import org.apache.pulsar.common.policies.data.PolicyName;
import org.apache.pulsar.common.policies.data.PolicyOperation;

/**
 * The core's authorization checks answered by the broker's own {@link AuthorizationService}, the
 * one Pulsar's binary protocol and admin API use, so permissions granted with pulsar-admin apply
 * unchanged and superusers pass as Pulsar decides. There is no authentication data to pass on
 * (the core keeps the role only): providers that need it see null, as for Pulsar's own
 * anonymous role.
 *
 * <ul>
 *   <li>lookup: {@code canLookupAsync}; produce: {@code canProduceAsync}; consume:
 *       {@code canConsumeAsync} with the group id as subscription (subscription-level auth);</li>
 *   <li>create / delete: the namespace's {@code CREATE_TOPIC} / {@code DELETE_TOPIC} operation, as
 *       Pulsar's admin API checks before creating or deleting a topic;</li>
 *   <li>alter partitions: the topic's {@code PARTITION} policy, {@code WRITE}, as Pulsar's admin
 *       API checks before updating a partitioned topic.</li>
 * </ul>
 */
final class PulsarAuthorizer implements Authorizer {
    private final AuthorizationService service;

    PulsarAuthorizer(AuthorizationService service) {
        this.service = service;
    }

    /** Pulsar's own superuser check (superUserRoles, or the provider's), without auth data. */
    @Override
    public CompletableFuture<Boolean> isSuperUser(String role) {
        return service.isSuperUser(role, null);
    }

    @Override
    public CompletableFuture<Boolean> authorize(String role, String topic, int action, String subscription) {
        TopicName tn = TopicName.get(topic);
        switch (action) {
            case LOOKUP:
                return service.canLookupAsync(tn, role, null);
            case PRODUCE:
                return service.canProduceAsync(tn, role, null);
            case CONSUME:
                return service.canConsumeAsync(tn, role, null,
                        subscription == null || subscription.isEmpty() ? null : subscription);
            case CREATE:
                return service.allowNamespaceOperationAsync(tn.getNamespaceObject(), NamespaceOperation.CREATE_TOPIC,
                        role, null);
            case DELETE:
                return service.allowNamespaceOperationAsync(tn.getNamespaceObject(), NamespaceOperation.DELETE_TOPIC,
                        role, null);
            case ALTER_PARTITIONS:
                return service.allowTopicPolicyOperationAsync(tn, PolicyName.PARTITION, PolicyOperation.WRITE, role,
                        null);
            default:
                return CompletableFuture.failedFuture(new IllegalArgumentException("unknown action " + action));
        }
    }
}
