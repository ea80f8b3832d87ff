"""Ownership across two brokers, through real Kafka clients (confluent-kafka / librdkafka):

- Metadata from either broker names, for every partition, the Kafka listener of the broker whose
  Pulsar bundle owns it;
- a producer bootstrapped on broker A alone writes to partitions owned by both brokers, and a
  group consumer bootstrapped on broker B alone reads every record back exactly once;
- FindCoordinator names the owner of the group's __consumer_offsets partition, and when Pulsar
  moves that partition's bundle to the other broker, the group follows it: committed offsets are
  kept and the consumer resumes where it committed;
- a partition moved to the other broker and back while an idempotent producer writes: every
  record is acknowledged and stored once.

Run by tests/e2e/cluster/run (KOP_CLUSTER_DIR names the running cluster).
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cluster  # noqa: E402

cluster.with_confluent_kafka(__file__)

import time  # noqa: E402
import unittest  # noqa: E402

import confluent_kafka  # noqa: E402
from confluent_kafka import Consumer, KafkaError, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402

sys.path.insert(0, os.path.dirname(HERE))  # tests/e2e: the Java client's build
import json  # noqa: E402
from test_java_clients import HAVE_TOOLS as HAVE_JAVA, classpath  # noqa: E402

ENV = cluster.load_env()
HTTP_A, HTTP_B = int(ENV["HTTP_A"]), int(ENV["HTTP_B"])
BROKER_A, BROKER_B = ENV["BROKER_A"], ENV["BROKER_B"]
KAFKA = {BROKER_A: int(ENV["KAFKA_A"]), BROKER_B: int(ENV["KAFKA_B"])}
OFFSETS_TOPIC = "persistent://public/__kafka/__consumer_offsets"
OFFSETS_PARTITIONS = 50
SUFFIX = f"{os.getpid()}"


def bootstrap(broker_id):
    return f"127.0.0.1:{KAFKA[broker_id]}"


def java_hash(s):
    """Java's String.hashCode (over UTF-16 code units), as a signed 32-bit int."""
    data = s.encode("utf-16-be")
    h = 0
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def offsets_partition(group):
    # KoP's signSafeMod: Java's remainder made non-negative, i.e. Python's floor modulo.
    return java_hash(group) % OFFSETS_PARTITIONS


def eventually(fn, expected, timeout=20, what="value"):
    """Polls fn() until it returns `expected` (a broker's view of ownership can lag an unload by
    a moment); fails with the last value or error."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last == expected:
                return last
        except Exception as e:  # noqa: BLE001: retried until the deadline
            last = e
        time.sleep(0.3)
    raise AssertionError(f"{what}: {last!r}, expected {expected!r}")


def kafka_ports_of_leaders(bootstrap_broker, topic):
    """{partition: port of its leader} from a Metadata request to one broker."""
    md = AdminClient({"bootstrap.servers": bootstrap(bootstrap_broker)}).list_topics(topic, timeout=30)
    t = md.topics[topic]
    if t.error is not None:
        raise AssertionError(f"metadata of {topic}: {t.error}")
    return {p: md.brokers[pm.leader].port if pm.leader in md.brokers else None for p, pm in t.partitions.items()}


def produce(bootstrap_broker, topic, n, partitions, prefix, between=None):
    """n keyed records, round-robin over partitions, acks=all and idempotent; returns the delivery
    errors (none expected) and {partition: count}. `between(i, producer)`, if given, runs after
    each send (with a short pause: the producer keeps writing while it acts)."""
    errors = []
    counts = {}

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            counts[msg.partition()] = counts.get(msg.partition(), 0) + 1

    p = Producer({"bootstrap.servers": bootstrap(bootstrap_broker), "enable.idempotence": True,
                  "acks": "all", "linger.ms": 5, "message.timeout.ms": 90000})
    for i in range(n):
        p.produce(topic, key=f"{prefix}-{i}", value=f"{prefix}-value-{i}", partition=i % partitions,
                  on_delivery=report)
        p.poll(0)
        if between is not None:
            between(i, p)
            time.sleep(0.002)
    left = p.flush(120)
    if left:
        errors.append(f"{left} records never delivered")
    return errors, counts


def consume_group(bootstrap_broker, topic, group, want, timeout=90, commit=True):
    """Consumes as a member of `group` until `want` records arrived (or timeout); commits
    synchronously; returns the values in order of arrival."""
    c = Consumer({"bootstrap.servers": bootstrap(bootstrap_broker), "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "session.timeout.ms": 10000,
                  **({"debug": os.environ["KOP_CLUSTER_CLIENT_DEBUG"]} if os.environ.get("KOP_CLUSTER_CLIENT_DEBUG") else {})})
    c.subscribe([topic])
    got = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < want and time.monotonic() < deadline:
            m = c.poll(1.0)
            if m is None:
                continue
            if m.error():
                if m.error().code() != KafkaError._PARTITION_EOF:
                    raise AssertionError(f"consume error: {m.error()}")
                continue
            got.append(m.value().decode())
        if commit and got:
            c.commit(asynchronous=False)
    finally:
        c.close()
    return got


def coordinator_port(bootstrap_broker, group, timeout=30):
    """The port of the group's coordinator as DescribeGroups reports it (FindCoordinator, then
    DescribeGroups there); COORDINATOR_LOAD_IN_PROGRESS while a new owner loads is retried."""
    admin = AdminClient({"bootstrap.servers": bootstrap(bootstrap_broker)})
    deadline = time.monotonic() + timeout
    while True:
        try:
            return admin.describe_consumer_groups([group])[group].result(timeout=30).coordinator.port
        except confluent_kafka.KafkaException as e:
            if e.args[0].code() != KafkaError.COORDINATOR_LOAD_IN_PROGRESS or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Ownership(unittest.TestCase):
    def test_metadata_names_the_owner_of_every_partition(self):
        topic = f"own-md-{SUFFIX}"
        placed = cluster.place_topic_partitions(HTTP_A, f"public/default/{topic}", 8, [BROKER_A, BROKER_B],
                                              verify_via=[HTTP_B])
        self.assertEqual(set(placed.values()), {BROKER_A, BROKER_B}, placed)
        expected = {p: KAFKA[b] for p, b in placed.items()}
        for asked in (BROKER_A, BROKER_B):
            eventually(lambda: kafka_ports_of_leaders(asked, topic), expected, what=f"metadata from {asked}")

    def test_metadata_lists_both_brokers_whatever_is_asked(self):
        # librdkafka drops brokers a Metadata response leaves out (and disconnects from them), so
        # every answer lists the whole cluster: for all topics, and for a topic led by one broker.
        topic = f"own-one-{SUFFIX}"
        cluster.place_topic_partitions(HTTP_A, f"public/default/{topic}", 1, [BROKER_A], verify_via=[HTTP_B])
        both = {("127.0.0.1", KAFKA[BROKER_A]), ("127.0.0.1", KAFKA[BROKER_B])}
        for asked in (BROKER_A, BROKER_B):
            admin = AdminClient({"bootstrap.servers": bootstrap(asked), "topic.metadata.refresh.interval.ms": -1})
            for md in (admin.list_topics(timeout=30), admin.list_topics(topic=topic, timeout=30)):
                self.assertEqual({(b.host, b.port) for b in md.brokers.values()}, both, f"asked {asked}")
                self.assertEqual(len(md.brokers), 2)

    def test_produce_on_a_consume_on_b_with_groups(self):
        topic = f"own-rw-{SUFFIX}"
        placed = cluster.place_topic_partitions(HTTP_A, f"public/default/{topic}", 8, [BROKER_A, BROKER_B],
                                              verify_via=[HTTP_B])
        self.assertEqual(set(placed.values()), {BROKER_A, BROKER_B}, placed)
        errors, counts = produce(BROKER_A, topic, 400, 8, "rw")
        self.assertEqual(errors, [])
        self.assertEqual(counts, {p: 50 for p in range(8)})
        group = f"own-group-{SUFFIX}"
        got = consume_group(BROKER_B, topic, group, 400)
        self.assertEqual(sorted(got), sorted(f"rw-value-{i}" for i in range(400)))
        # The coordinator is the owner of the group's __consumer_offsets partition.
        p = offsets_partition(group)
        owner = cluster.owner(HTTP_A, f"{OFFSETS_TOPIC}-partition-{p}")
        eventually(lambda: coordinator_port(BROKER_B, group), KAFKA[owner], what="coordinator via B")
        eventually(lambda: coordinator_port(BROKER_A, group), KAFKA[owner], what="coordinator via A")

    def test_java_producer_and_admin_across_brokers(self):
        """Java kafka-clients 4.4.0: the default (idempotent) producer bootstrapped on A writes to
        partitions of both brokers; the AdminClient bootstrapped on A finds the group's
        coordinator wherever it is and reads the offsets committed through B."""
        if not HAVE_JAVA:
            raise AssertionError("mvn, java or javac not installed")
        cp, classes = classpath("4.4.0")

        def java(bootstrap_broker, *args):
            out = subprocess.run(["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
                                  classes + os.pathsep + cp, "E2eClient", bootstrap(bootstrap_broker), *args],
                                 capture_output=True, text=True, timeout=180)
            lines = out.stdout.splitlines()
            self.assertEqual(out.returncode, 0, [ln for ln in lines if ln.startswith("FAIL")] or out.stderr[-2000:])
            return [json.loads(ln) for ln in lines if ln.startswith("{")]

        topic = f"own-java-{SUFFIX}"
        placed = cluster.place_topic_partitions(HTTP_A, f"public/default/{topic}", 8, [BROKER_A, BROKER_B],
                                              verify_via=[HTTP_B])
        self.assertEqual(set(placed.values()), {BROKER_A, BROKER_B}, placed)
        produced = [e for e in java(BROKER_A, "produce-keyed", topic, "300", "j") if e["event"] == "produced"][0]
        self.assertEqual(produced["errors"], [])
        self.assertEqual(len(produced["records"]), 300)
        owners = {placed[part] for part, _, _ in produced["records"]}
        self.assertEqual(owners, {BROKER_A, BROKER_B}, "records landed on one broker only")
        group = f"own-java-group-{SUFFIX}"
        got = consume_group(BROKER_B, topic, group, 300)
        self.assertEqual(sorted(got), sorted(f"value-j-{i}" for i in range(300)))
        described = [e for e in java(BROKER_A, "describe-group", group) if e["event"] == "group"][0]
        self.assertEqual(sum(described["offsets"].values()), 300, described)

    def test_group_follows_its_offsets_partition_to_the_other_broker(self):
        topic = f"own-move-{SUFFIX}"
        cluster.place_topic_partitions(HTTP_A, f"public/default/{topic}", 8, [BROKER_A, BROKER_B],
                                              verify_via=[HTTP_B])
        errors, _ = produce(BROKER_A, topic, 160, 8, "m1")
        self.assertEqual(errors, [])
        group = f"own-mover-{SUFFIX}"
        first = consume_group(BROKER_A, topic, group, 160)
        self.assertEqual(len(first), 160)
        p = offsets_partition(group)
        offsets_part = f"{OFFSETS_TOPIC}-partition-{p}"
        before = cluster.owner(HTTP_A, offsets_part)
        other = BROKER_B if before == BROKER_A else BROKER_A
        self.assertEqual(coordinator_port(BROKER_A, group), KAFKA[before])
        cluster.move_topic(HTTP_A, offsets_part, other)
        cluster.wait_owner(HTTP_B, offsets_part, other)
        cluster.wait_owner(HTTP_A, offsets_part, other)
        # The new owner loads the group: FindCoordinator names it and the committed offsets hold.
        eventually(lambda: coordinator_port(BROKER_A, group), KAFKA[other], timeout=30,
                   what="FindCoordinator names the new owner")
        admin = AdminClient({"bootstrap.servers": bootstrap(other)})
        committed = admin.list_consumer_group_offsets(
            [confluent_kafka.ConsumerGroupTopicPartitions(group)])[group].result(timeout=30)
        self.assertEqual(sum(tp.offset for tp in committed.topic_partitions if tp.topic == topic), 160)
        errors, _ = produce(BROKER_B, topic, 80, 8, "m2")
        self.assertEqual(errors, [])
        second = consume_group(BROKER_B, topic, group, 80)
        # Only the new records: the group resumed at its committed offsets.
        self.assertEqual(sorted(second), sorted(f"m2-value-{i}" for i in range(80)))

    def test_partition_moves_while_producing(self):
        topic = f"own-live-{SUFFIX}"
        placed = cluster.place_topic_partitions(HTTP_A, f"public/default/{topic}", 8, [BROKER_A, BROKER_B],
                                              verify_via=[HTTP_B])
        moving = f"persistent://public/default/{topic}-partition-0"
        start = placed[0]
        dest = BROKER_B if start == BROKER_A else BROKER_A
        n = 600

        def moves(i, producer):
            if i == n // 3:
                producer.flush(60)
                cluster.move_topic(HTTP_A, moving, dest)
            if i == 2 * n // 3:
                # And back: the first owner must not refuse the producer with what it remembered.
                producer.flush(60)
                cluster.move_topic(HTTP_A, moving, start)

        errors, counts = produce(BROKER_A, topic, n, 8, "live", between=moves)
        self.assertEqual(errors, [])
        self.assertEqual(sum(counts.values()), n)
        eventually(lambda: kafka_ports_of_leaders(BROKER_B, topic)[0], KAFKA[start], what="leader of partition 0")
        got = consume_group(BROKER_A, topic, f"own-live-group-{SUFFIX}", n, commit=False)
        self.assertEqual(sorted(got), sorted(f"live-value-{i}" for i in range(n)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
