"""Internal and system topics through the Kafka listener (issue 11): producing to, consuming from,
creating, deleting or committing offsets on the group coordinator's own
persistent://public/__kafka/__consumer_offsets, a Pulsar system topic (`__` names) or a
non-persistent topic is refused with TOPIC_AUTHORIZATION_FAILED, and the offsets topic and a
group's committed offsets are left unchanged. Raw Produce v9 and Metadata v9 frames check the exact
codes; confluent-kafka (Producer, Consumer, AdminClient) checks what a real client sees."""
import json
import os
import struct
import subprocess
import textwrap
import unittest
import urllib.request

import kafka_wire as kw
from test_confluent import BOOTSTRAP, PY, ensure_venv
from test_produce import HTTP_PORT, SUFFIX, admin

TOPIC_AUTHORIZATION_FAILED = 29
OFFSETS = "persistent://public/__kafka/__consumer_offsets"
REFUSED = [OFFSETS, "persistent://public/__kafka/anything", "__consumer_offsets", "__change_events",
           "persistent://public/default/__transaction_buffer_snapshot",
           "non-persistent://public/default/e2e-np"]


def offsets_partitions():
    """The offsets topic's partition count, from Pulsar's admin REST API."""
    url = (f"http://{kw.HOST}:{HTTP_PORT}/admin/v2/persistent/public/__kafka/__consumer_offsets"
           "/partitions")
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())["partitions"]


def raw_produce(topic, correlation_id):
    batch = kw.record_batch_v2([(None, b"intruder", [])])
    with kw.connect(timeout=60) as s:
        s.sendall(kw.produce_v9(correlation_id, topic, 0, batch))
        body = kw.read_frame(s, timeout=60)
    if body is None:
        raise AssertionError(f"broker closed the connection instead of answering Produce to {topic}")
    cid, resp = kw.parse_produce_v9(body)
    assert cid == correlation_id, (cid, correlation_id)
    return resp["partitions"][(topic, 0)]


def raw_fetch_v4(topic, correlation_id):
    """Fetch v4 of partition 0 from offset 0, without waiting -> the partition's error code."""
    name = topic.encode()
    body = struct.pack(">iiiib", -1, 0, 0, 1 << 20, 0)  # replica, max wait, min/max bytes, isolation
    body += struct.pack(">ih", 1, len(name)) + name + struct.pack(">iiqi", 1, 0, 0, 1 << 20)
    with kw.connect(timeout=60) as s:
        s.sendall(kw.frame(kw.request_header_v1(1, 4, correlation_id) + body))
        resp = kw.read_frame(s, timeout=60)
    if resp is None:
        raise AssertionError(f"broker closed the connection instead of answering Fetch from {topic}")
    # correlation id, throttle time, 1 topic, its name, 1 partition, partition index, error code
    cid, _, topics, name_len = struct.unpack_from(">iiih", resp, 0)
    assert (cid, topics, resp[14:14 + name_len]) == (correlation_id, 1, name), resp[:64]
    partitions, index, error = struct.unpack_from(">iih", resp, 14 + name_len)
    assert (partitions, index) == (1, 0), resp[:64]
    return error


# Runs inside the venv; argv: mode bootstrap topic group. Prints one JSON line.
CLIENT = textwrap.dedent("""
    import json, sys, time
    from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
    from confluent_kafka import ConsumerGroupTopicPartitions
    mode, bootstrap, topic, group = sys.argv[1:5]
    refused = json.loads(sys.argv[5])
    out = {}
    LOADING = ("COORDINATOR_LOAD_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR")

    def code(e):
        return e.args[0].name() if e.args and hasattr(e.args[0], "name") else str(e)

    def group_offsets():
        a = AdminClient({"bootstrap.servers": bootstrap})
        r = a.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)],
                                          request_timeout=30)[group].result()
        return sorted([tp.topic, tp.partition, tp.offset] for tp in r.topic_partitions)

    if mode == "produce":
        reports = []
        p = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 20000})
        for t in refused:
            p.produce(t, b"intruder", partition=0,
                      on_delivery=lambda err, msg, t=t: reports.append([t, err.name() if err else None]))
        out["left"] = p.flush(60)
        out["reports"] = sorted(reports)
    elif mode == "consume":
        # Subscribed: librdkafka reports a subscribed topic's Metadata error as a consumer error.
        errors = {}
        for t in refused[:2]:
            c = Consumer({"bootstrap.servers": bootstrap, "group.id": group + "-sub", "enable.auto.commit": False})
            c.subscribe([t])
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and t not in errors:
                m = c.poll(0.5)
                if m is None:
                    continue
                errors[t] = m.error().name() if m.error() else "record at offset %d" % m.offset()
            c.close()
        out["errors"] = errors
    elif mode == "admin":
        a = AdminClient({"bootstrap.servers": bootstrap})
        created = {}
        for t, f in a.create_topics([NewTopic(t, 1, 1) for t in refused + ["__evil"]],
                                    request_timeout=30).items():
            try:
                f.result()
                created[t] = None
            except KafkaException as e:
                created[t] = code(e)
        deleted = {}
        for t, f in a.delete_topics(refused, request_timeout=30).items():
            try:
                f.result()
                deleted[t] = None
            except KafkaException as e:
                deleted[t] = code(e)
        out["created"], out["deleted"] = created, deleted
    elif mode == "commit":
        # A standalone consumer commits offset 2 on `topic`, then tries the refused topics.
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
        deadline = time.monotonic() + 60
        while True:  # retried while the group's coordinator loads
            try:
                good = c.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)
                break
            except KafkaException as e:
                if code(e) not in LOADING or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        out["good"] = [str(tp.error) if tp.error else None for tp in good]
        errors = {}
        for t in refused:
            try:
                res = c.commit(offsets=[TopicPartition(t, 0, 999)], asynchronous=False)
                errors[t] = [tp.error.name() if tp.error else None for tp in res]
            except KafkaException as e:
                errors[t] = code(e)
        c.close()
        out["errors"] = errors
        out["offsets"] = group_offsets()
    print(json.dumps(out))
""")


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class TopicAccessTest(unittest.TestCase):
    topic = f"e2e-access-{SUFFIX}"
    group = f"e2e-access-g-{SUFFIX}"

    @classmethod
    def setUpClass(cls):
        admin("PUT", f"/{cls.topic}/partitions", "1")

    def client(self, mode):
        ensure_venv()
        out = subprocess.run([PY, "-c", CLIENT, mode, BOOTSTRAP, self.topic, self.group, json.dumps(REFUSED)],
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr[-3000:])
        return json.loads(out.stdout.strip().splitlines()[-1])

    def test_raw_produce_is_refused_and_offsets_topic_unchanged(self):
        before = offsets_partitions()
        self.assertGreater(before, 0)
        for i, topic in enumerate(REFUSED):
            p = raw_produce(topic, 100 + i)
            self.assertEqual(p["error_code"], TOPIC_AUTHORIZATION_FAILED, (topic, p))
            self.assertEqual(p["base_offset"], -1, (topic, p))
            self.assertTrue(p["error_message"], (topic, p))
        # A normal topic on the same broker is served.
        self.assertEqual(raw_produce(self.topic, 200)["error_code"], 0)
        self.assertEqual(offsets_partitions(), before)

    def test_metadata_names_refused_topics_without_creating_them(self):
        with kw.connect(timeout=60) as s:
            s.sendall(kw.metadata_v9(7, REFUSED + [self.topic], True))
            body = kw.read_frame(s, timeout=60)
        self.assertIsNotNone(body, "broker closed the connection instead of answering Metadata v9")
        _, md = kw.parse_metadata_v9(body)
        codes = {t["name"]: t["error_code"] for t in md["topics"]}
        for topic in REFUSED:
            self.assertEqual(codes.get(topic), TOPIC_AUTHORIZATION_FAILED, (topic, md["topics"]))
        self.assertEqual(codes.get(self.topic), 0, md["topics"])
        listed = admin("GET", "/partitioned") + admin("GET", "")
        for short in ("__consumer_offsets", "__transaction_buffer_snapshot"):
            self.assertNotIn(f"persistent://public/default/{short}", listed)

    def test_producer_is_refused(self):
        res = self.client("produce")
        self.assertEqual(res["left"], 0, res)
        self.assertEqual(res["reports"], sorted([t, "TOPIC_AUTHORIZATION_FAILED"] for t in REFUSED), res)

    def test_raw_fetch_is_refused(self):
        for i, topic in enumerate(REFUSED):
            self.assertEqual(raw_fetch_v4(topic, 300 + i), TOPIC_AUTHORIZATION_FAILED, topic)
        self.assertEqual(raw_fetch_v4(self.topic, 400), 0)

    def test_consumer_is_refused(self):
        res = self.client("consume")
        for topic in REFUSED[:2]:
            self.assertEqual(res["errors"].get(topic), "TOPIC_AUTHORIZATION_FAILED", (topic, res))

    def test_create_and_delete_are_refused_and_offsets_topic_survives(self):
        before = offsets_partitions()
        res = self.client("admin")
        for topic in REFUSED:
            self.assertEqual(res["created"].get(topic), "TOPIC_AUTHORIZATION_FAILED", (topic, res))
            self.assertEqual(res["deleted"].get(topic), "TOPIC_AUTHORIZATION_FAILED", (topic, res))
        self.assertEqual(res["created"].get("__evil"), "TOPIC_AUTHORIZATION_FAILED", res)
        self.assertEqual(offsets_partitions(), before)
        self.assertNotIn("persistent://public/default/__evil", admin("GET", "/partitioned"))

    def test_commit_on_refused_topics_is_refused_and_group_offsets_unchanged(self):
        res = self.client("commit")
        self.assertEqual(res["good"], [None], res)
        for topic in REFUSED:
            self.assertIn(res["errors"].get(topic),
                          (["TOPIC_AUTHORIZATION_FAILED"], "TOPIC_AUTHORIZATION_FAILED"), (topic, res))
        # OffsetFetch for all of the group's partitions: only the normal topic, at offset 2.
        self.assertEqual(res["offsets"], [[self.topic, 0, 2]], res)


if __name__ == "__main__":
    unittest.main()
