"""confluent-kafka (Python, librdkafka bundled in the wheel) end to end: a Producer with the
default (non-idempotent) config sends 30 records with keys and headers, every delivery report
succeeds with offsets 0..29, and an assign-mode Consumer (no group APIs: auto commit off) reads
them back identical. confluent-kafka is installed from PyPI into build/e2e-venv when missing."""
import json
import os
import subprocess
import sys
import textwrap
import unittest

import kafka_wire as kw
from test_produce import HTTP_PORT, SUFFIX, admin

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VENV = os.path.join(ROOT, "build", "e2e-venv")
PY = os.path.join(VENV, "bin", "python")
BOOTSTRAP = f"{kw.HOST}:{kw.PORT}"
N = 30

# Runs inside the venv; prints one JSON line with what it saw.
CLIENT = textwrap.dedent("""
    import json, sys, time
    from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
    bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    reports = []
    def on_delivery(err, msg):
        reports.append({"err": str(err) if err else None, "offset": msg.offset(), "partition": msg.partition()})
    p = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 60000, "linger.ms": 5})
    for i in range(n):
        p.produce(topic, key=f"key-{i}".encode(), value=f"value-{i}-".encode() + b"y" * i, partition=0,
                  headers=[("index", str(i).encode()), ("trace", b"abc")], on_delivery=on_delivery)
    left = p.flush(90)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "kop-e2e-unused", "enable.auto.commit": False,
                  "enable.auto.offset.store": False, "api.version.request.timeout.ms": 30000})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got, errors = [], []
    deadline = time.monotonic() + 60
    while len(got) < n and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            errors.append(str(m.error()))
            continue
        got.append({"offset": m.offset(), "partition": m.partition(), "key": m.key().decode(),
                    "value": m.value().decode(), "headers": [[k, v.decode()] for k, v in (m.headers() or [])]})
    c.close()
    print(json.dumps({"left": left, "reports": reports, "got": got, "errors": errors}))
""")


def ensure_venv():
    if os.path.exists(PY):
        ok = subprocess.run([PY, "-c", "import confluent_kafka"], capture_output=True).returncode == 0
        if ok:
            return
    else:
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True, capture_output=True, timeout=300)
    out = subprocess.run([PY, "-m", "pip", "install", "-q", "confluent-kafka"], capture_output=True, text=True,
                         timeout=600)
    if out.returncode != 0:
        raise AssertionError(f"pip install confluent-kafka failed: {out.stderr[-2000:]}")


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class ConfluentKafkaTest(unittest.TestCase):
    topic = f"e2e-confluent-{SUFFIX}"

    def test_produce_and_consume_assign_mode(self):
        ensure_venv()
        admin("PUT", f"/{self.topic}/partitions", "1")
        out = subprocess.run([PY, "-c", CLIENT, BOOTSTRAP, self.topic, str(N)], capture_output=True, text=True,
                             timeout=240)
        self.assertEqual(out.returncode, 0, out.stderr[-3000:])
        res = json.loads(out.stdout.strip().splitlines()[-1])
        self.assertEqual(res["left"], 0, res)
        self.assertEqual(len(res["reports"]), N, res["reports"])
        self.assertEqual([r["err"] for r in res["reports"]], [None] * N, res["reports"])
        self.assertEqual(sorted(r["offset"] for r in res["reports"]), list(range(N)))
        self.assertEqual([r["partition"] for r in res["reports"]], [0] * N)
        self.assertEqual(res["errors"], [])
        expected = [{"offset": i, "partition": 0, "key": f"key-{i}", "value": f"value-{i}-" + "y" * i,
                     "headers": [["index", str(i)], ["trace", "abc"]]} for i in range(N)]
        self.assertEqual(res["got"], expected)


if __name__ == "__main__":
    unittest.main()
