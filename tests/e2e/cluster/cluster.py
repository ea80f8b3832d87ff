"""Helpers for tests against the two-broker cluster of tests/e2e/cluster/start (stdlib only).

    import cluster
    env = cluster.load_env()                       # $KOP_CLUSTER_DIR/cluster.env
    a, b = int(env["HTTP_A"]), int(env["HTTP_B"])
    placed = cluster.place_topic_partitions(a, "persistent://public/own1/orders", 8,
                                            [env["BROKER_A"], env["BROKER_B"]])
    # {0: '127.0.0.1:<HTTP_A>', 1: '127.0.0.1:<HTTP_B>', ...}, checked by REST lookups

Broker ids are Pulsar's (`advertisedAddress:webServicePort`, here "127.0.0.1:<HTTP port>").
`http` arguments are a broker's HTTP port (int or str) or a base URL. The REST calls follow
Pulsar's 307 redirects with the same method and body (a non-leader broker redirects lookups of
unowned bundles and unloads with a destination to the leader, the leader redirects an unload to
the owner); urllib would not re-send a PUT.

Facts checked against Pulsar 4.0.7 with ModularLoadManagerImpl and loadBalancerEnabled=false:
- `PUT /admin/v2/namespaces/{tenant}/{ns}/{bundle}/unload?destinationBroker=<id>` records the
  destination on the leader (a non-leader redirects there), then the owner unloads the bundle;
  the next lookup of a topic of that bundle assigns it to the destination. It answers 204 for an
  unowned bundle too (the destination still applies to the next assignment).
- The leader keeps that destination keyed by the bundle range alone and uses it up on the next
  assignment of *any* bundle with that range (another namespace's too), see move_bundle().
- After an unload the bundle has no owner until something looks one of its topics up (the REST
  lookup, a Pulsar client, or a broker's own lookup); `owner()` does such a lookup. Right after
  an unload, a lookup through the broker that did not own the bundle can still answer the old
  owner for a moment (its ownership cache): poll (wait_owner) rather than asserting at once.
- A topic's bundle is `GET /lookup/v2/topic/persistent/{tenant}/{ns}/{topic}/bundle` (plain text);
  there is no `/admin/v2/persistent/.../bundle` endpoint.
"""
import http.client as _httpclient
import json
import os
import subprocess
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), "build", "e2e-venv", "bin",
                       "python")


def with_confluent_kafka(script):
    """Returns when confluent_kafka imports; otherwise makes sure tests/e2e's venv (confluent-kafka
    from PyPI) exists and restarts `script` under its Python (this call then never returns)."""
    try:
        import confluent_kafka  # noqa: F401
        return
    except ImportError:
        pass
    import sys
    sys.path.insert(0, os.path.dirname(HERE))
    from test_confluent import ensure_venv

    ensure_venv()
    os.execv(VENV_PY, [VENV_PY, os.path.abspath(script)] + sys.argv[1:])

__all__ = [
    "HttpError", "load_env", "request", "brokers", "leader", "load_report", "lookup", "owner",
    "bundles", "bundle_of", "owned_bundles", "unload_bundle", "wait_owner", "move_bundle",
    "move_topic",
    "create_namespace", "create_partitioned_topic", "partitions", "place_topic_partitions",
    "wait_for", "broker", "with_confluent_kafka",
]


class HttpError(Exception):
    def __init__(self, method, url, status, body):
        super().__init__(f"{method} {url}: HTTP {status}: {body[:500]!r}")
        self.status = status
        self.body = body


def load_env(directory=None):
    """The KEY=VALUE lines of DIR/cluster.env (DIR defaults to $KOP_CLUSTER_DIR) as a dict of str."""
    directory = directory or os.environ["KOP_CLUSTER_DIR"]
    env = {}
    with open(os.path.join(directory, "cluster.env"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            env[key] = value
    return env


def _base(http):
    if isinstance(http, int) or str(http).isdigit():
        return f"http://127.0.0.1:{int(http)}"
    return str(http).rstrip("/")


def request(method, http, path, body=None, timeout=30.0, max_redirects=5):
    """(status, response bytes) of a REST call; follows redirects keeping method and body; raises
    HttpError on an answer >= 400."""
    url = _base(http) + path
    data = None
    headers = {"Accept": "application/json"}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    for _ in range(max_redirects + 1):
        u = urllib.parse.urlsplit(url)
        conn = _httpclient.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
        try:
            target = u.path + (f"?{u.query}" if u.query else "")
            conn.request(method, target, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            location = resp.getheader("Location")
        finally:
            conn.close()
        if resp.status in (301, 302, 303, 307, 308) and location:
            url = urllib.parse.urljoin(url, location)
            continue
        if resp.status >= 400:
            raise HttpError(method, url, resp.status, payload.decode(errors="replace"))
        return resp.status, payload
    raise HttpError(method, url, 310, "too many redirects")


def _json(method, http, path, body=None):
    _, payload = request(method, http, path, body)
    return json.loads(payload) if payload else None


def _topic_path(topic):
    """'persistent://t/ns/x' or 't/ns/x' -> 'persistent/t/ns/x' (URL-quoted parts)."""
    domain = "persistent"
    if "://" in topic:
        domain, topic = topic.split("://", 1)
    parts = topic.split("/")
    if len(parts) != 3:
        raise ValueError(f"not a full topic name (tenant/namespace/topic): {topic!r}")
    return "/".join([domain] + [urllib.parse.quote(p, safe="") for p in parts])


def _ns_path(namespace):
    parts = namespace.split("/")
    if len(parts) != 2:
        raise ValueError(f"not a tenant/namespace name: {namespace!r}")
    return "/".join(urllib.parse.quote(p, safe="") for p in parts)


def _namespace_of(topic):
    return "/".join(topic.split("://", 1)[-1].split("/")[:2])


def _broker_id(url):
    """'http://127.0.0.1:8080' -> '127.0.0.1:8080' (Pulsar's broker id form)."""
    u = urllib.parse.urlsplit(url)
    return f"{u.hostname}:{u.port}"


def brokers(http, cluster):
    """Sorted ids of the brokers registered in the cluster (GET /admin/v2/brokers/{cluster})."""
    return sorted(_json("GET", http, f"/admin/v2/brokers/{cluster}"))


def leader(http):
    """Id of the load-manager leader (GET /admin/v2/brokers/leaderBroker)."""
    return _json("GET", http, "/admin/v2/brokers/leaderBroker")["brokerId"]


def load_report(http):
    """The broker's own load report (GET /admin/v2/broker-stats/load-report); its 'protocols'
    holds what each protocol handler advertises, e.g. {'kafka': 'PLAINTEXT://127.0.0.1:<port>'}."""
    return _json("GET", http, "/admin/v2/broker-stats/load-report")


def lookup(http, topic):
    """Pulsar's REST lookup (acquires ownership for an unowned bundle, as a client lookup would):
    {'brokerUrl': 'pulsar://...', 'httpUrl': 'http://...', 'nativeUrl': ..., ...}."""
    return _json("GET", http, f"/lookup/v2/topic/{_topic_path(topic)}")


def owner(http, topic):
    """Id ('127.0.0.1:<web port>') of the broker owning the topic's bundle, by a REST lookup."""
    return _broker_id(lookup(http, topic)["httpUrl"])


def bundles(http, namespace):
    """The namespace's bundle ranges, e.g. ['0x00000000_0x40000000', ..., '0xc0000000_0xffffffff']."""
    bounds = _json("GET", http, f"/admin/v2/namespaces/{_ns_path(namespace)}/bundles")["boundaries"]
    return [f"{lo}_{hi}" for lo, hi in zip(bounds, bounds[1:])]


def bundle_of(http, topic):
    """The bundle range the topic hashes into (for a partitioned topic: ask per partition)."""
    _, payload = request("GET", http, f"/lookup/v2/topic/{_topic_path(topic)}/bundle")
    return payload.decode().strip().strip('"')


def owned_bundles(http, cluster, broker_id, namespace=None):
    """Bundles the broker owns now ('tenant/ns/0x..._0x...'), optionally only those of a namespace.
    Does not acquire anything (unlike owner())."""
    owned = _json("GET", http, f"/admin/v2/brokers/{cluster}/{broker_id}/ownedNamespaces")
    names = sorted(owned)
    if namespace is not None:
        names = [n for n in names if n.rsplit("/", 1)[0] == namespace]
    return names


def unload_bundle(http, namespace, bundle, destination_broker=None):
    """Unloads the bundle; with destination_broker (a broker id) its next assignment goes there."""
    query = ""
    if destination_broker:
        query = "?destinationBroker=" + urllib.parse.quote(destination_broker, safe="")
    request("PUT", http, f"/admin/v2/namespaces/{_ns_path(namespace)}/{bundle}/unload{query}")


def wait_for(predicate, timeout=30.0, interval=0.2, what="condition"):
    """Polls predicate() until it returns a truthy value (returned); raises TimeoutError."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, HttpError, ValueError, KeyError) as e:
            last_error = e
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not true after {timeout} s (last error: {last_error})")
        time.sleep(interval)


def wait_owner(http, topic, broker_id, timeout=15.0):
    """Polls REST lookups through `http` until they name broker_id as the topic's owner; returns
    the seconds it took. (Right after an unload, a broker other than the old owner can answer the
    old owner for a moment: its ownership cache has not seen the release yet.)"""
    t0 = time.monotonic()
    got = None
    while True:
        try:
            got = owner(http, topic)
        except HttpError as e:
            # e.g. "Namespace bundle ... is being unloaded" while the owner finishes.
            got = f"error: {e}"
        if got == broker_id:
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{topic}: lookups through {http} answer {got}, not {broker_id}, "
                                 f"after {timeout} s")
        time.sleep(0.2)


def move_bundle(http, namespace, bundle, destination_broker, probe_topic, attempts=3, settle=10.0):
    """Unloads the bundle with destinationBroker and polls lookups of probe_topic (a topic of that
    bundle) until it is owned there; unloads again if it landed elsewhere. Returns the owner.

    Pulsar 4.0's ModularLoadManagerImpl keeps the destination in the leader, keyed by the bundle
    *range* only ('0x40000000_0x80000000', no namespace), and uses it up on the next assignment of
    any bundle with that range; so a bundle of another namespace with the same range assigned in
    between takes the destination instead (that is what the retry is for)."""
    errors = []
    for _ in range(attempts):
        try:
            unload_bundle(http, namespace, bundle, destination_broker)
        except HttpError as e:
            # The extensible load manager refuses to move a bundle to its owner: already there.
            if "same broker" not in str(e):
                raise
        try:
            wait_owner(http, probe_topic, destination_broker, timeout=settle)
            return destination_broker
        except AssertionError as e:
            errors.append(str(e))
    raise AssertionError(f"{namespace}/{bundle}: not owned by {destination_broker} after {attempts} "
                         f"unloads with destinationBroker: {errors}")


def move_topic(http, topic, destination_broker):
    """Moves the bundle of one (partition) topic to destination_broker; returns the bundle."""
    bundle = bundle_of(http, topic)
    move_bundle(http, _namespace_of(topic), bundle, destination_broker, topic)
    return bundle


def create_namespace(http, namespace, bundles=4, exist_ok=False):
    """Creates tenant/ns with that many bundles (the tenant must exist: 'public' does)."""
    try:
        request("PUT", http, f"/admin/v2/namespaces/{_ns_path(namespace)}",
                {"bundles": {"numBundles": int(bundles)}})
    except HttpError as e:
        if not (exist_ok and e.status == 409):
            raise


def create_partitioned_topic(http, topic, partitions, exist_ok=False):
    try:
        request("PUT", http, f"/admin/v2/{_topic_path(topic)}/partitions", int(partitions))
    except HttpError as e:
        if not (exist_ok and e.status == 409):
            raise


def partitions(http, topic):
    """Partition count of a partitioned topic; 0 for a non-partitioned or missing one, e.g.
    wait_for(lambda: partitions(a, "persistent://public/__kafka/__consumer_offsets") > 0)."""
    try:
        return _json("GET", http, f"/admin/v2/{_topic_path(topic)}/partitions")["partitions"]
    except HttpError as e:
        if e.status == 404:   # "Topic ... not found"
            return 0
        raise


def place_topic_partitions(http, topic, partitions, broker_ids, bundles=4, verify_via=()):
    """Creates the namespace of `topic` (with `bundles` bundles, if missing) and the partitioned
    topic, then moves the bundles holding its partitions so that they alternate over broker_ids
    (the bundle of the lowest partition to broker_ids[0], the next bundle to broker_ids[1], ...).
    Returns {partition index: owner broker id}, read back with REST lookups; with verify_via
    (more HTTP ports), also waits until lookups through each of them agree. Raises ValueError
    when the partitions hash into fewer bundles than there are brokers (use more partitions,
    more bundles or another name)."""
    namespace = _namespace_of(topic)
    create_namespace(http, namespace, bundles, exist_ok=True)
    create_partitioned_topic(http, topic, partitions, exist_ok=True)
    name = topic if "://" in topic else f"persistent://{topic}"
    part = [f"{name}-partition-{i}" for i in range(partitions)]
    by_bundle = {}
    for i, p in enumerate(part):
        by_bundle.setdefault(bundle_of(http, p), []).append(i)
    if len(by_bundle) < len(broker_ids):
        raise ValueError(f"{topic}: {partitions} partitions fall into {len(by_bundle)} bundle(s) of "
                         f"{namespace} ({sorted(by_bundle)}), fewer than {len(broker_ids)} brokers")
    order = sorted(by_bundle, key=lambda b: by_bundle[b][0])
    for n, bundle in enumerate(order):
        move_bundle(http, namespace, bundle, broker_ids[n % len(broker_ids)], part[by_bundle[bundle][0]])
    placed = {i: owner(http, p) for i, p in enumerate(part)}
    for other in verify_via:
        for i, p in enumerate(part):
            wait_owner(other, p, placed[i])
    for n, bundle in enumerate(order):
        want = broker_ids[n % len(broker_ids)]
        wrong = {i: placed[i] for i in by_bundle[bundle] if placed[i] != want}
        if wrong:
            raise AssertionError(f"{topic}: partitions of bundle {bundle} should be on {want}: {wrong}")
    return placed


def broker(which, action, directory=None, timeout=300):
    """Stops or starts broker 'a' or 'b' through tests/e2e/cluster/broker: action 'stop'
    (graceful, its bundles are released), 'kill' (SIGKILL: its bundles stay assigned to it until
    its ZooKeeper session expires, 30 s), 'start' (returns once it is registered and its Kafka port
    accepts), 'restart'. Raises CalledProcessError (with the script's output) on failure. Call
    load_env() again afterwards for the new PID_A/PID_B; ports and ids do not change."""
    directory = directory or os.environ["KOP_CLUSTER_DIR"]
    subprocess.run([os.path.join(HERE, "broker"), directory, which, action], check=True,
                   stdin=subprocess.DEVNULL, timeout=timeout)
