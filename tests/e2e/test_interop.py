"""Kafka and Pulsar clients on the same topics (entryFormat=pulsar, the default): a Pulsar
consumer reads what a Kafka producer wrote (key -> partition key, headers -> properties,
timestamp -> event time), and a Kafka consumer reads what Pulsar producers wrote, batched and
not, at contiguous offsets. Clients: confluent-kafka and pulsar-client from PyPI, in
build/e2e-venv."""
import json
import os
import subprocess
import textwrap
import unittest

import kafka_wire as kw
from test_confluent import PY, ensure_venv
from test_produce import HTTP_PORT, SUFFIX, admin

BOOTSTRAP = f"{kw.HOST}:{kw.PORT}"
SERVICE_URL = f"http://{kw.HOST}:{HTTP_PORT}"

KAFKA_TO_PULSAR = textwrap.dedent("""
    import json, sys
    import pulsar
    from confluent_kafka import Producer
    bootstrap, service, topic = sys.argv[1:4]
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(5):
        p.produce(topic, key=f"key-{i}".encode(), value=f"value-{i}".encode(), partition=0,
                  timestamp=1700000000000 + i, headers=[("h", f"hv-{i}".encode())])
    assert p.flush(60) == 0
    client = pulsar.Client(service)
    c = client.subscribe(f"persistent://public/default/{topic}-partition-0", "interop",
                         initial_position=pulsar.InitialPosition.Earliest)
    got = []
    for _ in range(5):
        m = c.receive(timeout_millis=30000)
        got.append({"key": m.partition_key(), "value": m.data().decode(), "props": m.properties(),
                    "event_time": m.event_timestamp()})
        c.acknowledge(m)
    client.close()
    print(json.dumps(got))
""")

PULSAR_TO_KAFKA = textwrap.dedent("""
    import json, sys, time
    import pulsar
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    bootstrap, service, topic = sys.argv[1:4]
    client = pulsar.Client(service)
    full = f"persistent://public/default/{topic}-partition-0"
    batched = client.create_producer(full, batching_enabled=True, batching_max_publish_delay_ms=50)
    for i in range(3):
        batched.send_async(f"batched-{i}".encode(), None, partition_key=f"pk-{i}",
                           properties={"source": "pulsar", "i": str(i)}, event_timestamp=1690000000000 + i)
    batched.flush()
    single = client.create_producer(full, batching_enabled=False)
    single.send(b"single", partition_key="pk-single", properties={"source": "pulsar"})
    client.close()
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "kop-e2e-unused", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got, deadline = [], time.monotonic() + 60
    while len(got) < 4 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        got.append({"offset": m.offset(), "key": m.key().decode() if m.key() else None,
                    "value": m.value().decode(), "headers": sorted([k, v.decode()] for k, v in (m.headers() or [])),
                    "ts": m.timestamp()[1]})
    c.close()
    print(json.dumps(got))
""")


def ensure_pulsar_client():
    ensure_venv()
    if subprocess.run([PY, "-c", "import pulsar"], capture_output=True).returncode != 0:
        out = subprocess.run([PY, "-m", "pip", "install", "-q", "pulsar-client"], capture_output=True,
                             text=True, timeout=600)
        if out.returncode != 0:
            raise AssertionError(f"pip install pulsar-client failed: {out.stderr[-2000:]}")


def run(script, topic):
    out = subprocess.run([PY, "-c", script, BOOTSTRAP, SERVICE_URL, topic], capture_output=True,
                         text=True, timeout=240)
    if out.returncode != 0:
        raise AssertionError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class InteropTest(unittest.TestCase):
    def test_pulsar_consumer_reads_kafka_records(self):
        ensure_pulsar_client()
        topic = f"e2e-interop-k2p-{SUFFIX}"
        admin("PUT", f"/{topic}/partitions", "1")
        got = run(KAFKA_TO_PULSAR, topic)
        self.assertEqual(got, [{"key": f"key-{i}", "value": f"value-{i}", "props": {"h": f"hv-{i}"},
                                "event_time": 1700000000000 + i} for i in range(5)])

    def test_kafka_consumer_reads_pulsar_messages(self):
        ensure_pulsar_client()
        topic = f"e2e-interop-p2k-{SUFFIX}"
        admin("PUT", f"/{topic}/partitions", "1")
        got = run(PULSAR_TO_KAFKA, topic)
        self.assertEqual(len(got), 4, got)
        self.assertEqual([g["offset"] for g in got], [0, 1, 2, 3])
        for i in range(3):
            self.assertEqual(got[i]["key"], f"pk-{i}")
            self.assertEqual(got[i]["value"], f"batched-{i}")
            self.assertEqual(got[i]["headers"], [["i", str(i)], ["source", "pulsar"]])
            self.assertEqual(got[i]["ts"], 1690000000000 + i)
        self.assertEqual(got[3]["key"], "pk-single")
        self.assertEqual(got[3]["value"], "single")
        self.assertEqual(got[3]["headers"], [["source", "pulsar"]])
        self.assertGreater(got[3]["ts"], 1700000000000)  # publish time: no event time was set


if __name__ == "__main__":
    unittest.main()
