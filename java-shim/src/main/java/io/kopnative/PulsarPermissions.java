package io.kopnative;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.broker.authorization.AuthorizationService;
import org.apache.pulsar.broker.resources.NamespaceResources;
import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.policies.data.AuthAction;
import org.apache.pulsar.common.policies.data.AuthPolicies;
import org.apache.pulsar.common.policies.data.NamespaceOperation;

/**
 * The Kafka ACL APIs' permission store: a namespace's own policies (auth_policies), read and
 * changed through Pulsar's {@link NamespaceResources}, as Pulsar's authorization provider keeps
 * them, so {@code pulsar-admin namespaces permissions} and {@code topics permissions} show what
 * Kafka clients granted and the other way round. Every call first asks the broker's
 * {@link AuthorizationService} whether the caller may do it (the namespace's
 * {@code GET_PERMISSION}, {@code GRANT_PERMISSION} or {@code REVOKE_PERMISSION} operation: a
 * superuser or an admin of the tenant with Pulsar's provider), exactly as Pulsar's admin API does;
 * nothing is read or changed otherwise. A change is one atomic update of the policies
 * ({@code setPoliciesAsync}). Only produce and consume are listed or changed: Pulsar's other
 * actions (functions, sources, sinks, packages) have no Kafka ACL and are kept as they are.
 */
final class PulsarPermissions implements PermissionStore {
    private final AuthorizationService authorization;
    private final NamespaceResources namespaces;

    PulsarPermissions(AuthorizationService authorization, NamespaceResources namespaces) {
        this.authorization = authorization;
        this.namespaces = namespaces;
    }

    @Override
    public CompletableFuture<Result> call(int op, String caller, String namespace, Entry change) {
        NamespaceName ns = NamespaceName.get(namespace);
        NamespaceOperation needed = op == LIST ? NamespaceOperation.GET_PERMISSION
                : op == GRANT ? NamespaceOperation.GRANT_PERMISSION : NamespaceOperation.REVOKE_PERMISSION;
        if (op != LIST && !belongsTo(change, ns)) {
            return CompletableFuture.completedFuture(
                    Result.error(KafkaErrors.INVALID_REQUEST, "the topic is not in namespace " + namespace));
        }
        return authorization.allowNamespaceOperationAsync(ns, needed, caller, null).thenCompose(allowed -> {
            if (!Boolean.TRUE.equals(allowed)) {
                return CompletableFuture.completedFuture(Result.error(KafkaErrors.CLUSTER_AUTHORIZATION_FAILED,
                        "role " + caller + " may not manage the permissions of " + namespace));
            }
            if (op == LIST) {
                return namespaces.getPoliciesAsync(ns).thenApply(p -> p.isPresent()
                        ? Result.ok(entries(p.get().auth_policies))
                        : Result.error(KafkaErrors.UNKNOWN_SERVER_ERROR, "namespace " + namespace + " not found"));
            }
            return namespaces.setPoliciesAsync(ns, p -> {
                apply(p.auth_policies, change, op == GRANT);
                return p;
            }).thenApply(v -> Result.ok(List.of()));
        });
    }

    private static boolean belongsTo(Entry e, NamespaceName ns) {
        return e.scope() != SCOPE_TOPIC || TopicName.get(e.name()).getNamespaceObject().equals(ns);
    }

    /** Every produce/consume permission and subscription role of {@code auth}, as entries. */
    static List<Entry> entries(AuthPolicies auth) {
        List<Entry> out = new ArrayList<>();
        auth.getNamespaceAuthentication().forEach((role, actions) -> add(out, SCOPE_NAMESPACE, "", role, actions));
        auth.getTopicAuthentication().forEach((topic, roles) ->
                roles.forEach((role, actions) -> add(out, SCOPE_TOPIC, topic, role, actions)));
        auth.getSubscriptionAuthentication().forEach((sub, roles) ->
                roles.forEach(role -> out.add(new Entry(SCOPE_SUBSCRIPTION, sub, role, 0))));
        return out;
    }

    private static void add(List<Entry> out, int scope, String name, String role, Set<AuthAction> actions) {
        int bits = bits(actions);
        if (bits != 0) {
            out.add(new Entry(scope, name, role, bits));
        }
    }

    /** Grants or revokes {@code e} in {@code auth}; a role left with no action is removed. */
    static void apply(AuthPolicies auth, Entry e, boolean grant) {
        if (e.scope() == SCOPE_SUBSCRIPTION) {
            Map<String, Set<String>> subs = auth.getSubscriptionAuthentication();
            if (grant) {
                subs.computeIfAbsent(e.name(), k -> new HashSet<>()).add(e.role());
            } else if (subs.containsKey(e.name())) {
                Set<String> roles = new HashSet<>(subs.get(e.name()));
                roles.remove(e.role());
                if (roles.isEmpty()) {
                    subs.remove(e.name());
                } else {
                    subs.put(e.name(), roles);
                }
            }
            return;
        }
        Map<String, Set<AuthAction>> roles = e.scope() == SCOPE_NAMESPACE ? auth.getNamespaceAuthentication()
                : auth.getTopicAuthentication().computeIfAbsent(e.name(), k -> new TreeMap<>());
        Set<AuthAction> actions = EnumSet.noneOf(AuthAction.class);
        if (roles.containsKey(e.role())) {
            actions.addAll(roles.get(e.role()));
        }
        Set<AuthAction> changed = actions(e.actions());
        if (grant) {
            actions.addAll(changed);
        } else {
            actions.removeAll(changed);
        }
        if (actions.isEmpty()) {
            roles.remove(e.role());
        } else {
            roles.put(e.role(), actions);
        }
        if (e.scope() == SCOPE_TOPIC && roles.isEmpty()) {
            auth.getTopicAuthentication().remove(e.name());
        }
    }

    static int bits(Set<AuthAction> actions) {
        return (actions.contains(AuthAction.produce) ? PRODUCE : 0)
                | (actions.contains(AuthAction.consume) ? CONSUME : 0);
    }

    static Set<AuthAction> actions(int bits) {
        Set<AuthAction> out = EnumSet.noneOf(AuthAction.class);
        if ((bits & PRODUCE) != 0) {
            out.add(AuthAction.produce);
        }
        if ((bits & CONSUME) != 0) {
            out.add(AuthAction.consume);
        }
        return out;
    }
}
