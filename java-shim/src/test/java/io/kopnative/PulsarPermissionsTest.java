package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.pulsar.common.policies.data.AuthAction;
import org.apache.pulsar.common.policies.data.AuthPolicies;
import org.apache.pulsar.common.policies.data.Policies;
import org.junit.jupiter.api.Test;

/** The core's permissions onto a namespace's auth_policies and back, as Pulsar keeps them. */
class PulsarPermissionsTest {
    private static final String TOPIC = "persistent://acme/prod/orders";

    private static AuthPolicies empty() {
        return new Policies().auth_policies;
    }

    @Test
    void grantsAddActionsAndRevokesRemoveThem() {
        AuthPolicies auth = empty();
        PulsarPermissions.apply(auth, new PermissionStore.Entry(PermissionStore.SCOPE_TOPIC, TOPIC, "bob",
                PermissionStore.PRODUCE), true);
        PulsarPermissions.apply(auth, new PermissionStore.Entry(PermissionStore.SCOPE_TOPIC, TOPIC, "bob",
                PermissionStore.CONSUME), true);
        assertEquals(EnumSet.of(AuthAction.produce, AuthAction.consume),
                auth.getTopicAuthentication().get(TOPIC).get("bob"));
        PulsarPermissions.apply(auth, new PermissionStore.Entry(PermissionStore.SCOPE_TOPIC, TOPIC, "bob",
                PermissionStore.PRODUCE), false);
        assertEquals(EnumSet.of(AuthAction.consume), auth.getTopicAuthentication().get(TOPIC).get("bob"));
        PulsarPermissions.apply(auth, new PermissionStore.Entry(PermissionStore.SCOPE_TOPIC, TOPIC, "bob",
                PermissionStore.CONSUME), false);
        assertTrue(auth.getTopicAuthentication().isEmpty());
    }

    @Test
    void otherPulsarActionsAreKeptAndNotListed() {
        AuthPolicies auth = empty();
        auth.getNamespaceAuthentication().put("fn", EnumSet.of(AuthAction.functions, AuthAction.produce));
        PulsarPermissions.apply(auth, new PermissionStore.Entry(PermissionStore.SCOPE_NAMESPACE, "", "fn",
                PermissionStore.PRODUCE), false);
        assertEquals(Set.of(AuthAction.functions), auth.getNamespaceAuthentication().get("fn"));
        assertEquals(List.of(), PulsarPermissions.entries(auth));
    }

    @Test
    void everyScopeIsListed() {
        AuthPolicies auth = empty();
        auth.getNamespaceAuthentication().put("ns-role", EnumSet.of(AuthAction.consume));
        PulsarPermissions.apply(auth, new PermissionStore.Entry(PermissionStore.SCOPE_TOPIC, TOPIC, "bob",
                PermissionStore.PRODUCE), true);
        PulsarPermissions.apply(auth, new PermissionStore.Entry(PermissionStore.SCOPE_SUBSCRIPTION, "g1", "bob", 0),
                true);
        assertEquals(List.of(
                new PermissionStore.Entry(PermissionStore.SCOPE_NAMESPACE, "", "ns-role", PermissionStore.CONSUME),
                new PermissionStore.Entry(PermissionStore.SCOPE_TOPIC, TOPIC, "bob", PermissionStore.PRODUCE),
                new PermissionStore.Entry(PermissionStore.SCOPE_SUBSCRIPTION, "g1", "bob", 0)),
                PulsarPermissions.entries(auth));
        PulsarPermissions.apply(auth, new PermissionStore.Entry(PermissionStore.SCOPE_SUBSCRIPTION, "g1", "bob", 0),
                false);
        assertTrue(auth.getSubscriptionAuthentication().isEmpty());
    }
}
