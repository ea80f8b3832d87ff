package io.kopnative;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.metadata.api.MetadataStore;
import org.apache.pulsar.metadata.api.MetadataStoreException;

/**
 * The SCRAM credentials (KIP-554) in Pulsar's metadata store, one node per (mechanism, user):
 * {@code /kop-native/scram/<mechanism>/<url-encoded user>} holding
 * {@code {"salt": b64, "storedKey": b64, "serverKey": b64, "iterations": n}}, Kafka's
 * ScramCredential. Never a password: the core derives StoredKey and ServerKey from the salted
 * password AlterUserScramCredentials carries. Nothing here logs a key.
 */
final class ScramCredentialStore {
    static final String ROOT = "/kop-native/scram";
    static final String SHA_256 = "SCRAM-SHA-256";
    static final String SHA_512 = "SCRAM-SHA-512";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A stored credential. */
    record Credential(byte[] salt, byte[] storedKey, byte[] serverKey, int iterations) {
    }

    /** One listed credential: user, Kafka's mechanism number (1 SHA-256, 2 SHA-512), iterations. */
    record Listed(String user, int mechanism, int iterations) {
    }

    private final MetadataStore store;

    ScramCredentialStore(MetadataStore store) {
        this.store = store;
    }

    static boolean knownMechanism(String mechanism) {
        return SHA_256.equals(mechanism) || SHA_512.equals(mechanism);
    }

    static String path(String mechanism, String user) {
        return ROOT + "/" + mechanism + "/" + URLEncoder.encode(user, StandardCharsets.UTF_8);
    }

    /** The user's credential for the mechanism; empty when there is none. */
    CompletableFuture<Optional<Credential>> get(String mechanism, String user) {
        if (!knownMechanism(mechanism)) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return store.get(path(mechanism, user)).thenApply(r -> r.map(g -> decode(g.getValue())));
    }

    /** Creates or replaces the user's credential for the mechanism. */
    CompletableFuture<Void> put(String mechanism, String user, Credential c) {
        if (!knownMechanism(mechanism)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("unknown mechanism"));
        }
        ObjectNode node = JSON.createObjectNode();
        Base64.Encoder b64 = Base64.getEncoder();
        node.put("salt", b64.encodeToString(c.salt()));
        node.put("storedKey", b64.encodeToString(c.storedKey()));
        node.put("serverKey", b64.encodeToString(c.serverKey()));
        node.put("iterations", c.iterations());
        byte[] value = node.toString().getBytes(StandardCharsets.UTF_8);
        return store.put(path(mechanism, user), value, Optional.empty()).thenApply(stat -> null);
    }

    /** Deletes the user's credential for the mechanism: false when there was none. */
    CompletableFuture<Boolean> delete(String mechanism, String user) {
        if (!knownMechanism(mechanism)) {
            return CompletableFuture.completedFuture(false);
        }
        return store.delete(path(mechanism, user), Optional.empty()).handle((v, error) -> {
            if (error == null) {
                return true;
            }
            if (TopicMetadataService.unwrap(error) instanceof MetadataStoreException.NotFoundException) {
                return false;
            }
            throw new java.util.concurrent.CompletionException(error);
        });
    }

    /** Every stored credential of both mechanisms (user, mechanism, iterations), never a key. */
    CompletableFuture<List<Listed>> list() {
        CompletableFuture<List<Listed>> sha256 = listMechanism(SHA_256, 1);
        CompletableFuture<List<Listed>> sha512 = listMechanism(SHA_512, 2);
        return sha256.thenCombine(sha512, (a, b) -> {
            List<Listed> all = new ArrayList<>(a);
            all.addAll(b);
            return all;
        });
    }

    private CompletableFuture<List<Listed>> listMechanism(String mechanism, int number) {
        return store.getChildren(ROOT + "/" + mechanism).thenCompose(children -> {
            List<CompletableFuture<Optional<Listed>>> reads = new ArrayList<>();
            for (String child : children) {
                String user = URLDecoder.decode(child, StandardCharsets.UTF_8);
                reads.add(get(mechanism, user).thenApply(c -> c.map(x -> new Listed(user, number, x.iterations()))));
            }
            return CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
                List<Listed> out = new ArrayList<>();
                for (CompletableFuture<Optional<Listed>> r : reads) {
                    r.join().ifPresent(out::add);
                }
                return out;
            });
        });
    }

    private static Credential decode(byte[] value) {
        try {
            JsonNode node = JSON.readTree(value);
            Base64.Decoder b64 = Base64.getDecoder();
            return new Credential(b64.decode(node.get("salt").asText()), b64.decode(node.get("storedKey").asText()),
                    b64.decode(node.get("serverKey").asText()), node.get("iterations").asInt());
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("a malformed SCRAM credential in the metadata store", e);
        }
    }
}
