package io.kopnative;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One Kafka listener, parsed the way KoP parsed {@code kafkaListeners}: {@code NAME://host:port},
 * comma separated, where NAME is a security protocol ({@code PLAINTEXT}) or a listener name that
 * {@code kafkaProtocolMap} maps to one.
 */
public final class Listener {
    private final String name;
    private final String securityProtocol;
    private final String host;
    private final int port;

    Listener(String name, String securityProtocol, String host, int port) {
        this.name = name;
        this.securityProtocol = securityProtocol;
        this.host = host;
        this.port = port;
    }

    public String name() {
        return name;
    }

    public String securityProtocol() {
        return securityProtocol;
    }

    /** The configured host; empty means every interface. */
    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** Where Pulsar binds this listener. */
    public InetSocketAddress bindAddress() {
        return host.isEmpty() || host.equals("0.0.0.0")
                ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return name + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * Parses a listener list. {@code protocolMap} maps upper-cased listener names to security
     * protocols; names absent from it must themselves be security protocols.
     */
    static List<Listener> parseList(String key, String value, Map<String, String> protocolMap) {
        List<Listener> out = new ArrayList<>();
        for (String raw : value.split(",")) {
            String item = raw.trim();
            if (item.isEmpty()) {
                continue;
            }
            int sep = item.indexOf("://");
            if (sep <= 0) {
                throw new IllegalArgumentException(key + ": '" + item + "' is not NAME://host:port");
            }
            String name = item.substring(0, sep).toUpperCase(Locale.ROOT);
            String hostPort = item.substring(sep + 3);
            int colon = hostPort.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(key + ": '" + item + "' has no port");
            }
            String host = hostPort.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + ": '" + item + "' has a bad port", e);
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(key + ": '" + item + "' has a bad port");
            }
            String protocol = protocolMap.getOrDefault(name, name);
            for (Listener other : out) {
                if (other.name.equals(name)) {
                    throw new IllegalArgumentException(key + ": listener name " + name + " appears twice");
                }
            }
            out.add(new Listener(name, protocol, host, port));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(key + " lists no listener");
        }
        return out;
    }
}
