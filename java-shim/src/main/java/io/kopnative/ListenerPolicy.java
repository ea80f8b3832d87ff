package io.kopnative;

import java.util.Locale;

/**
 * Issue 11's "no side door" rule: when Pulsar's {@code authenticationEnabled=true}, a Kafka
 * listener that does not authenticate its clients would let anyone produce, consume, create and
 * delete topics on a cluster the operator secured. Such a listener is not opened unless the
 * operator sets {@code kafkaAllowUnauthenticatedListeners=true}, and then it is opened with a
 * warning at every start. With Pulsar authentication off nothing changes.
 */
final class ListenerPolicy {
    /** What the handler does with one listener. */
    enum Decision {
        /** Opened; nothing to say (it authenticates, or Pulsar authentication is off). */
        OPEN,
        /** Opened although it lets unauthenticated clients in: the override is set (logged as a warning). */
        OPEN_UNAUTHENTICATED,
        /** Not opened (logged as an error). */
        REFUSE
    }

    private ListenerPolicy() {
    }

    /**
     * Whether a listener of this security protocol authenticates every client: SASL listeners
     * do (Kafka's SASL_PLAINTEXT, SASL_SSL), and SSL does when the client certificate is
     * required ({@code kopSslClientAuth=required}, KoP's key; Kafka's ssl.client.auth). PLAINTEXT
     * never does, nor SSL with client auth none or requested (a client without a certificate gets in).
     */
    static boolean authenticatesClients(String securityProtocol, String sslClientAuth) {
        return switch (securityProtocol.toUpperCase(Locale.ROOT)) {
            case "SASL_PLAINTEXT", "SASL_SSL" -> true;
            case "SSL" -> sslClientAuth != null && sslClientAuth.trim().equalsIgnoreCase("required");
            default -> false;
        };
    }

    static Decision decide(boolean pulsarAuthenticationEnabled, boolean allowUnauthenticatedListeners,
                           String securityProtocol, String sslClientAuth) {
        if (!pulsarAuthenticationEnabled || authenticatesClients(securityProtocol, sslClientAuth)) {
            return Decision.OPEN;
        }
        return allowUnauthenticatedListeners ? Decision.OPEN_UNAUTHENTICATED : Decision.REFUSE;
    }

    /** The ERROR line for a refused listener: which one, why, and the key that overrides it. */
    static String refusal(Listener l) {
        return "kop-native: refusing to open Kafka listener " + l + " (security protocol " + l.securityProtocol()
                + "): Pulsar authentication is on (authenticationEnabled=true) and this listener does not "
                + "authenticate clients, so it would let anyone in to produce, consume, create and delete topics. "
                + "To open it anyway, set " + KopConfig.KAFKA_ALLOW_UNAUTHENTICATED_LISTENERS + "=true in broker.conf";
    }

    /** The WARN line, at every start, for a listener opened through the override. */
    static String warning(Listener l) {
        return "kop-native: Kafka listener " + l + " (security protocol " + l.securityProtocol() + ") accepts "
                + "unauthenticated Kafka clients although Pulsar authentication is on (authenticationEnabled=true), "
                + "because " + KopConfig.KAFKA_ALLOW_UNAUTHENTICATED_LISTENERS + "=true: anyone who reaches it can "
                + "produce, consume, create and delete topics";
    }
}
