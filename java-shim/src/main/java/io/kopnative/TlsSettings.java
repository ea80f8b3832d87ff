package io.kopnative;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.pulsar.broker.ServiceConfiguration;

/**
 * The TLS settings of the Kafka listeners whose security protocol is SSL or SASL_SSL, under KoP's
 * keys (KafkaServiceConfiguration's kopSsl*, each with the meaning of Kafka's ssl.* broker
 * setting of the same name). Without a keystore the broker's own PEM files are used (Pulsar's
 * tlsCertificateFilePath, tlsKeyFilePath, tlsTrustCertsFilePath) and they are re-read as Pulsar
 * does for its own TLS port (tlsCertRefreshCheckDurationSec). Values are checked here, files are
 * read by {@link ServerSslContext}. Never log a password: {@link #toString()} leaves them out.
 */
final class TlsSettings {
    static final String KEYSTORE_TYPE = "kopSslKeystoreType";
    static final String KEYSTORE_LOCATION = "kopSslKeystoreLocation";
    static final String KEYSTORE_PASSWORD = "kopSslKeystorePassword";
    static final String KEY_PASSWORD = "kopSslKeyPassword";
    static final String TRUSTSTORE_TYPE = "kopSslTruststoreType";
    static final String TRUSTSTORE_LOCATION = "kopSslTruststoreLocation";
    static final String TRUSTSTORE_PASSWORD = "kopSslTruststorePassword";
    static final String CLIENT_AUTH = KopConfig.KOP_SSL_CLIENT_AUTH;
    static final String PROTOCOL = "kopSslProtocol";
    static final String ENABLED_PROTOCOLS = "kopSslEnabledProtocols";
    static final String CIPHER_SUITES = "kopSslCipherSuites";
    // Pulsar's own keys (ServiceConfiguration fields), named in messages.
    static final String PEM_CERTIFICATE = "tlsCertificateFilePath";
    static final String PEM_KEY = "tlsKeyFilePath";
    static final String PEM_TRUST_CERTS = "tlsTrustCertsFilePath";
    static final String REFRESH_SECONDS = "tlsCertRefreshCheckDurationSec";

    static final Set<String> STORE_TYPES = Set.of("PKCS12", "JKS");
    static final Set<String> PROTOCOLS = Set.of("TLS", "TLSv1.2", "TLSv1.3");
    static final Set<String> PROTOCOL_VERSIONS = Set.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

    /** Kafka's ssl.client.auth values. */
    enum ClientAuth { NONE, REQUESTED, REQUIRED }

    final String keystoreType;
    final String keystoreLocation;   // null: the PEM files
    final String keystorePassword;   // null when not set
    final String keyPassword;        // null: the keystore password (Kafka's rule)
    final String truststoreType;
    final String truststoreLocation; // null: tlsTrustCertsFilePath, else the JDK's default trust
    final String truststorePassword;
    final ClientAuth clientAuth;
    final String protocol;
    final List<String> enabledProtocols; // empty: derived from kopSslProtocol
    final List<String> cipherSuites;     // empty: the engine's defaults
    final String pemCertificate;
    final String pemKey;
    final String pemTrustCerts;
    final long refreshSeconds;           // <= 0: no reload

    private TlsSettings(Map<String, String> raw, ServiceConfiguration conf) {
        keystoreType = storeType(raw, KEYSTORE_TYPE);
        keystoreLocation = text(raw.get(KEYSTORE_LOCATION));
        keystorePassword = password(raw.get(KEYSTORE_PASSWORD));
        keyPassword = password(raw.get(KEY_PASSWORD));
        truststoreType = storeType(raw, TRUSTSTORE_TYPE);
        truststoreLocation = text(raw.get(TRUSTSTORE_LOCATION));
        truststorePassword = password(raw.get(TRUSTSTORE_PASSWORD));
        clientAuth = clientAuth(raw.get(CLIENT_AUTH));
        String p = text(raw.get(PROTOCOL));
        protocol = p == null ? "TLS" : canonical(PROTOCOL, p, PROTOCOLS);
        List<String> versions = new ArrayList<>();
        for (String v : list(raw.get(ENABLED_PROTOCOLS))) {
            versions.add(canonical(ENABLED_PROTOCOLS, v, PROTOCOL_VERSIONS));
        }
        enabledProtocols = List.copyOf(versions);
        cipherSuites = list(raw.get(CIPHER_SUITES));
        pemCertificate = text(conf.getTlsCertificateFilePath());
        pemKey = text(conf.getTlsKeyFilePath());
        pemTrustCerts = text(conf.getTlsTrustCertsFilePath());
        refreshSeconds = conf.getTlsCertRefreshCheckDurationSec();
    }

    /** Reads and checks the keys; throws {@link IllegalArgumentException} naming the key on a bad value. */
    static TlsSettings from(Map<String, String> raw, ServiceConfiguration conf) {
        return new TlsSettings(raw, conf);
    }

    /** Kafka's SSL and SASL_SSL listeners run TLS; PLAINTEXT and SASL_PLAINTEXT do not. */
    static boolean usesTls(String securityProtocol) {
        return "SSL".equals(securityProtocol) || "SASL_SSL".equals(securityProtocol);
    }

    /** Whether a server certificate is configured: a keystore, or both PEM files. */
    boolean hasCertificate() {
        return keystoreLocation != null || (pemCertificate != null && pemKey != null);
    }

    /** The ERROR line for a TLS listener refused because no certificate is configured. */
    String noCertificate(Listener l) {
        String pem = pemCertificate == null && pemKey == null ? "neither is set"
                : (pemCertificate == null ? PEM_CERTIFICATE : PEM_KEY) + " is not set";
        return "kop-native: refusing to open Kafka listener " + l + " (security protocol " + l.securityProtocol()
                + "): it needs a server certificate: set " + KEYSTORE_LOCATION + " (with " + KEYSTORE_PASSWORD
                + ", " + KEYSTORE_TYPE + "=PKCS12 or JKS), or Pulsar's " + PEM_CERTIFICATE + " and " + PEM_KEY
                + " (PEM files; " + pem + ") in broker.conf";
    }

    /** The enabled protocol versions: kopSslEnabledProtocols, else those kopSslProtocol implies, else null. */
    List<String> effectiveProtocols() {
        if (!enabledProtocols.isEmpty()) {
            return enabledProtocols;
        }
        // As Java's SSLContext.getInstance(version): that version is the highest one; nothing below TLSv1.2.
        return switch (protocol) {
            case "TLSv1.3" -> List.of("TLSv1.2", "TLSv1.3");
            case "TLSv1.2" -> List.of("TLSv1.2");
            default -> null; // "TLS": the engine's defaults
        };
    }

    /** Every file the context is built from: a change to any of them triggers a reload. */
    List<Path> files() {
        List<Path> out = new ArrayList<>();
        if (keystoreLocation != null) {
            out.add(Path.of(keystoreLocation));
        } else {
            addIfSet(out, pemCertificate);
            addIfSet(out, pemKey);
        }
        if (truststoreLocation != null) {
            out.add(Path.of(truststoreLocation));
        } else {
            addIfSet(out, pemTrustCerts);
        }
        return out;
    }

    /** Where the certificate comes from, for the log (no password). */
    String certificateSource() {
        return keystoreLocation != null ? KEYSTORE_LOCATION + "=" + keystoreLocation + " (" + keystoreType + ")"
                : PEM_CERTIFICATE + "=" + pemCertificate + ", " + PEM_KEY + "=" + pemKey;
    }

    @Override
    public String toString() {
        return "certificate " + (hasCertificate() ? certificateSource() : "none") + ", client auth "
                + clientAuth.name().toLowerCase(Locale.ROOT) + ", protocol " + protocol + ", enabled protocols "
                + (effectiveProtocols() == null ? "engine default" : effectiveProtocols()) + ", cipher suites "
                + (cipherSuites.isEmpty() ? "engine default" : cipherSuites) + ", reload every "
                + (refreshSeconds > 0 ? refreshSeconds + " s" : "never");
    }

    private static void addIfSet(List<Path> out, String path) {
        if (path != null) {
            out.add(Path.of(path));
        }
    }

    private static String storeType(Map<String, String> raw, String key) {
        String v = text(raw.get(key));
        return v == null ? "PKCS12" : canonical(key, v, STORE_TYPES);
    }

    static ClientAuth clientAuth(String value) {
        String v = text(value);
        if (v == null) {
            return ClientAuth.NONE;
        }
        try {
            return ClientAuth.valueOf(v.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(CLIENT_AUTH + "=" + v + " is not one of none, requested, required", e);
        }
    }

    // The allowed spelling of a case-insensitive value, or an error naming the key and the choices.
    private static String canonical(String key, String value, Set<String> allowed) {
        for (String a : allowed) {
            if (a.equalsIgnoreCase(value)) {
                return a;
            }
        }
        throw new IllegalArgumentException(key + "=" + value + " is not supported (use one of "
                + allowed.stream().sorted().toList() + ")");
    }

    private static List<String> list(String value) {
        List<String> out = new ArrayList<>();
        if (value != null) {
            for (String item : value.split(",")) {
                if (!item.isBlank()) {
                    out.add(item.trim());
                }
            }
        }
        return List.copyOf(out);
    }

    private static String text(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }

    // A password is taken as written (spaces may be part of it); empty means unset.
    private static String password(String v) {
        return v == null || v.isEmpty() ? null : v;
    }
}
