package io.kopnative;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server {@link SslContext} of one TLS listener (SSL or SASL_SSL), built from {@link TlsSettings}
 * with Netty's OpenSSL engine when netty-tcnative loads (Pulsar ships it), else the JDK's.
 * {@link #reloadIfChanged()} rebuilds it when one of its files changed, as Pulsar does for its own
 * TLS port (PulsarSslFactory, checked every tlsCertRefreshCheckDurationSec): new connections get the
 * new context, open ones keep the engine they have. A rebuild that fails keeps the old context.
 */
final class ServerSslContext {
    private static final Logger log = LoggerFactory.getLogger(ServerSslContext.class);

    /** A file or password that does not make a usable context; the message names the key and the file. */
    static final class TlsSetupException extends Exception {
        TlsSetupException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Listener listener;
    private final TlsSettings settings;
    private final SslProvider provider;
    private volatile SslContext current;
    private Map<Path, String> digests; // of settings.files() when current was built; guarded by this

    private ServerSslContext(Listener listener, TlsSettings settings, SslProvider provider, SslContext first,
                             Map<Path, String> digests) {
        this.listener = listener;
        this.settings = settings;
        this.provider = provider;
        this.current = first;
        this.digests = digests;
    }

    /** Netty's OpenSSL engine when available ({@link OpenSsl#isAvailable()}), else the JDK's. */
    static SslProvider defaultProvider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** Builds the listener's first context; a bad file or password throws (the listener stays shut). */
    static ServerSslContext open(Listener listener, TlsSettings settings, SslProvider provider)
            throws TlsSetupException {
        Map<Path, String> digests = digests(settings);
        return new ServerSslContext(listener, settings, provider, build(settings, provider), digests);
    }

    /** The context for a new connection. */
    SslContext current() {
        return current;
    }

    /** "OpenSSL (BoringSSL)" or "JDK", for the start-up log line. */
    String engineName() {
        return provider == SslProvider.JDK ? "JDK" : "OpenSSL (" + OpenSsl.versionString() + ")";
    }

    Listener listener() {
        return listener;
    }

    /**
     * Rebuilds the context when a file's content changed since the last attempt. True when a new
     * context replaced the old one. A failed rebuild logs one WARN and keeps the old context; the
     * files are tried again when they change again (a cert and its key replaced one after the other
     * are first seen half-done, then whole).
     */
    synchronized boolean reloadIfChanged() {
        Map<Path, String> now = digests(settings);
        if (now.equals(digests)) {
            return false;
        }
        digests = now;
        try {
            current = build(settings, provider);
        } catch (TlsSetupException e) {
            log.warn("kop-native: Kafka listener {}: the TLS files changed but reloading them failed, the "
                    + "listener keeps its previous certificate: {}", listener, e.getMessage());
            return false;
        }
        log.info("kop-native: Kafka listener {}: TLS certificate reloaded from {}; new connections use it",
                listener, settings.certificateSource());
        return true;
    }

    static SslContext build(TlsSettings s, SslProvider provider) throws TlsSetupException {
        SslContextBuilder b = s.keystoreLocation != null ? SslContextBuilder.forServer(keyManagers(s))
                : pemServer(s);
        if (s.truststoreLocation != null) {
            b.trustManager(trustManagers(s));
        } else if (s.pemTrustCerts != null) {
            b.trustManager(readable(TlsSettings.PEM_TRUST_CERTS, s.pemTrustCerts));
        } // else: the JDK's default trust store, as Kafka without ssl.truststore.location
        b.sslProvider(provider)
                .clientAuth(switch (s.clientAuth) {
                    case REQUIRED -> ClientAuth.REQUIRE;
                    case REQUESTED -> ClientAuth.OPTIONAL;
                    case NONE -> ClientAuth.NONE;
                })
                .protocols(s.effectiveProtocols())
                .ciphers(s.cipherSuites.isEmpty() ? null : s.cipherSuites);
        SslContext ctx;
        try {
            ctx = b.build();
        } catch (IOException | RuntimeException e) {
            throw new TlsSetupException("building the TLS context from " + s.certificateSource() + " failed: "
                    + reason(e), e);
        }
        // An engine checks what build() leaves for later (a protocol or cipher suite the engine lacks):
        // fail at start, not on every connection.
        SSLEngine probe = null;
        try {
            probe = ctx.newEngine(ByteBufAllocator.DEFAULT);
        } catch (RuntimeException e) {
            throw new TlsSetupException(TlsSettings.ENABLED_PROTOCOLS + "/" + TlsSettings.CIPHER_SUITES + "/"
                    + TlsSettings.PROTOCOL + " not accepted by the TLS engine: " + reason(e), e);
        } finally {
            ReferenceCountUtil.release(probe);
        }
        return ctx;
    }

    private static SslContextBuilder pemServer(TlsSettings s) throws TlsSetupException {
        File cert = readable(TlsSettings.PEM_CERTIFICATE, s.pemCertificate);
        File key = readable(TlsSettings.PEM_KEY, s.pemKey);
        try {
            return SslContextBuilder.forServer(cert, key, s.keyPassword);
        } catch (RuntimeException e) {
            throw new TlsSetupException(TlsSettings.PEM_CERTIFICATE + "=" + s.pemCertificate + ", "
                    + TlsSettings.PEM_KEY + "=" + s.pemKey + ": not a usable PEM certificate chain and private key "
                    + "(an encrypted key needs " + TlsSettings.KEY_PASSWORD + "): " + reason(e), e);
        }
    }

    private static KeyManagerFactory keyManagers(TlsSettings s) throws TlsSetupException {
        KeyStore ks = load(TlsSettings.KEYSTORE_LOCATION, s.keystoreType, s.keystoreLocation, s.keystorePassword);
        try {
            if (Collections.list(ks.aliases()).stream().noneMatch(a -> isKey(ks, a))) {
                throw new TlsSetupException(TlsSettings.KEYSTORE_LOCATION + "=" + s.keystoreLocation
                        + " holds no private key", null);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            String keyPassword = s.keyPassword != null ? s.keyPassword : s.keystorePassword;
            kmf.init(ks, keyPassword == null ? new char[0] : keyPassword.toCharArray());
            return kmf;
        } catch (GeneralSecurityException e) {
            throw new TlsSetupException(TlsSettings.KEYSTORE_LOCATION + "=" + s.keystoreLocation + ": the private "
                    + "key cannot be read (wrong " + TlsSettings.KEY_PASSWORD + "?): " + reason(e), e);
        }
    }

    private static TrustManagerFactory trustManagers(TlsSettings s) throws TlsSetupException {
        KeyStore ks = load(TlsSettings.TRUSTSTORE_LOCATION, s.truststoreType, s.truststoreLocation,
                s.truststorePassword);
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf;
        } catch (GeneralSecurityException e) {
            throw new TlsSetupException(TlsSettings.TRUSTSTORE_LOCATION + "=" + s.truststoreLocation + ": "
                    + reason(e), e);
        }
    }

    private static KeyStore load(String key, String type, String location, String password)
            throws TlsSetupException {
        File f = readable(key, location);
        try (InputStream in = Files.newInputStream(f.toPath())) {
            KeyStore ks = KeyStore.getInstance(type);
            ks.load(in, password == null ? null : password.toCharArray());
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsSetupException(key + "=" + location + ": not a readable " + type + " key store (wrong "
                    + "type or password?): " + reason(e), e);
        }
    }

    private static boolean isKey(KeyStore ks, String alias) {
        try {
            return ks.isKeyEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static File readable(String key, String path) throws TlsSetupException {
        File f = new File(path);
        if (!f.isFile() || !f.canRead()) {
            throw new TlsSetupException(key + "=" + path + ": no such readable file", null);
        }
        return f;
    }

    // SHA-256 of each file ("missing" when unreadable): content, not mtime, so a file rewritten
    // within the file system's timestamp granularity is still seen.
    private static Map<Path, String> digests(TlsSettings s) {
        Map<Path, String> out = new LinkedHashMap<>();
        for (Path p : s.files()) {
            String d;
            try {
                d = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
            } catch (IOException | NoSuchAlgorithmException e) {
                d = "missing";
            }
            out.put(p, d);
        }
        return out;
    }

    private static String reason(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 400; t = t.getCause()) {
            if (t.getMessage() != null && sb.indexOf(t.getMessage()) < 0) {
                sb.append(sb.length() == 0 ? "" : ": ").append(t.getMessage());
            }
        }
        return sb.length() == 0 ? e.getClass().getSimpleName() : sb.toString();
    }
}
