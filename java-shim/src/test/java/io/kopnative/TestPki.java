package io.kopnative;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made at test time with the JDK's keytool (EC P-256, self-signed, 127.0.0.1 and
 * localhost as names) and written as PKCS12/JKS key stores or PEM files.
 */
final class TestPki {
    private TestPki() {
    }

    /** A self-signed key pair in a key store of {@code type} at {@code store} ({@code keyPass} used by JKS only). */
    static void keyPair(Path store, String type, String alias, String cn, String storePass, String keyPass)
            throws IOException, InterruptedException {
        Files.deleteIfExists(store);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool")
                        .toString(), "-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + cn, "-validity", "30", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-storetype", type, "-keystore", store.toString(), "-storepass", storePass, "-keypass",
                "JKS".equals(type) ? keyPass : storePass));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
    }

    static KeyStore load(Path store, String type, String storePass) throws Exception {
        KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, storePass.toCharArray());
        }
        return ks;
    }

    static X509Certificate certificate(Path store, String type, String storePass, String alias) throws Exception {
        return (X509Certificate) load(store, type, storePass).getCertificate(alias);
    }

    /** The key pair of a key store as PEM: the certificate and the PKCS#8 private key (unencrypted). */
    static void writePem(Path store, String type, String storePass, String keyPass, String alias, Path certPem,
                         Path keyPem) throws Exception {
        KeyStore ks = load(store, type, storePass);
        PrivateKey key = (PrivateKey) ks.getKey(alias, keyPass.toCharArray());
        Files.writeString(certPem, pem("CERTIFICATE", ks.getCertificate(alias).getEncoded()));
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
    }

    /** A PKCS12 trust store holding {@code cert}. */
    static void trustStore(Path store, String storePass, X509Certificate cert) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("trusted", cert);
        try (OutputStream out = Files.newOutputStream(store)) {
            ks.store(out, storePass.toCharArray());
        }
    }

    static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }
}
