package io.kopnative;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.pulsar.metadata.api.MetadataStoreConfig;
import org.apache.pulsar.metadata.api.extended.MetadataStoreExtended;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The SCRAM credential store over an in-memory Pulsar metadata store. */
class ScramCredentialStoreTest {
    private MetadataStoreExtended metadata;
    private ScramCredentialStore store;

    @BeforeEach
    void setUp() throws Exception {
        metadata = MetadataStoreExtended.create("memory:local", MetadataStoreConfig.builder().build());
        store = new ScramCredentialStore(metadata);
    }

    @AfterEach
    void tearDown() throws Exception {
        metadata.close();
    }

    private static ScramCredentialStore.Credential credential(int iterations) {
        return new ScramCredentialStore.Credential(new byte[] {1, 2, 3}, new byte[] {4, 5}, new byte[] {6},
                iterations);
    }

    @Test
    void putGetListDelete() throws Exception {
        assertTrue(store.get("SCRAM-SHA-512", "alice").get().isEmpty());
        store.put("SCRAM-SHA-512", "alice", credential(4096)).get();
        store.put("SCRAM-SHA-256", "a/b c", credential(8192)).get();

        Optional<ScramCredentialStore.Credential> got = store.get("SCRAM-SHA-512", "alice").get();
        assertTrue(got.isPresent());
        assertArrayEquals(new byte[] {1, 2, 3}, got.get().salt());
        assertArrayEquals(new byte[] {4, 5}, got.get().storedKey());
        assertArrayEquals(new byte[] {6}, got.get().serverKey());
        assertEquals(4096, got.get().iterations());
        // A user name with '/' stays one node.
        assertEquals(8192, store.get("SCRAM-SHA-256", "a/b c").get().get().iterations());
        assertTrue(store.get("SCRAM-SHA-256", "alice").get().isEmpty());

        List<ScramCredentialStore.Listed> all = store.list().get();
        assertEquals(2, all.size());
        assertTrue(all.contains(new ScramCredentialStore.Listed("a/b c", 1, 8192)));
        assertTrue(all.contains(new ScramCredentialStore.Listed("alice", 2, 4096)));

        assertTrue(store.delete("SCRAM-SHA-512", "alice").get());
        assertFalse(store.delete("SCRAM-SHA-512", "alice").get());
        assertTrue(store.get("SCRAM-SHA-512", "alice").get().isEmpty());
    }

    @Test
    void storesNoPasswordOnlyKeys() throws Exception {
        store.put("SCRAM-SHA-512", "bob", credential(4096)).get();
        String json = new String(metadata.get(ScramCredentialStore.path("SCRAM-SHA-512", "bob")).get().get()
                .getValue(), StandardCharsets.UTF_8);
        assertEquals("{\"salt\":\"AQID\",\"storedKey\":\"BAU=\",\"serverKey\":\"Bg==\",\"iterations\":4096}", json);
    }

    @Test
    void unknownMechanismsHaveNothing() throws Exception {
        assertTrue(store.get("PLAIN", "x").get().isEmpty());
        assertFalse(store.delete("PLAIN", "x").get());
        assertTrue(store.list().get().isEmpty());
    }
}
