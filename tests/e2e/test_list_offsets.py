"""ListOffsets by timestamp through the real broker: records produced with explicit, out-of-order
CreateTime timestamps (confluent-kafka) are found by their own timestamps, never by append time,
with confluent-kafka's offsets_for_times and kcat -Q; the max-timestamp query (-3, KIP-734) and a
timestamp past every record (-1: Kafka's "none")."""
import json
import struct
import subprocess
import textwrap
import unittest

import kafka_wire as kw
from test_confluent import PY, ensure_venv
from test_produce import SUFFIX, admin

BOOTSTRAP = f"{kw.HOST}:{kw.PORT}"
BASE = 1_600_000_000_000  # years before the append time: append time would never match
# Offsets 0..5; timestamps deliberately not monotonic.
TIMESTAMPS = [BASE + 1000, BASE + 2000, BASE + 3000, BASE + 2500, BASE + 5000, BASE + 4000]

CLIENT = textwrap.dedent("""
    import json, sys
    from confluent_kafka import Consumer, Producer, TopicPartition
    bootstrap, topic = sys.argv[1], sys.argv[2]
    stamps = json.loads(sys.argv[3]); queries = json.loads(sys.argv[4])
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "message.timeout.ms": 60000})
    for i, ts in enumerate(stamps):
        p.produce(topic, value=f"v{i}".encode(), partition=0, timestamp=ts)
        p.flush(60)  # one batch per record
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "kop-e2e-unused", "enable.auto.commit": False})
    # One query per call: a request may name a partition only once.
    found = [c.offsets_for_times([TopicPartition(topic, 0, q)], timeout=60)[0] for q in queries]
    c.close()
    print(json.dumps([[tp.offset, str(tp.error) if tp.error else None] for tp in found]))
""")


def list_offsets_v7(topic, partition, timestamp):
    """One raw ListOffsets v7 (flexible) query: (error_code, offset, timestamp)."""
    body = (struct.pack(">ib", -1, 0) + kw.uvarint(2) + kw.compact_string(topic) + kw.uvarint(2)
            + struct.pack(">iiq", partition, -1, timestamp) + kw.uvarint(0) + kw.uvarint(0)
            + kw.uvarint(0))
    with kw.connect() as s:
        s.sendall(kw.frame(kw.request_header_v2(2, 7, 71) + body))
        resp = kw.read_frame(s, timeout=30)
    # Header v1: correlation id + tagged fields; then throttle, topics[1], partitions[1].
    (corr,) = struct.unpack_from(">i", resp, 0)
    assert corr == 71, corr
    pos = 4 + 1 + 4 + 1  # tagged fields, throttle_time_ms, topics count
    name_len = resp[pos] - 1
    pos += 1 + name_len + 1  # the name, partitions count
    _index, error, ts, offset = struct.unpack_from(">ihqq", resp, pos)
    return error, offset, ts


class ListOffsetsByTimestampTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ensure_venv()
        cls.topic = f"e2e-ts-{SUFFIX}"
        admin("PUT", f"/{cls.topic}/partitions", "1")
        queries = [BASE, BASE + 1000, BASE + 1001, BASE + 2400, BASE + 3500, BASE + 4500, BASE + 5001]
        out = subprocess.run([PY, "-c", CLIENT, BOOTSTRAP, cls.topic, json.dumps(TIMESTAMPS),
                              json.dumps(queries)], capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            raise AssertionError(f"confluent client failed: {out.stderr[-2000:]}")
        cls.found = json.loads(out.stdout.strip().splitlines()[-1])

    def test_offsets_for_times_uses_record_timestamps(self):
        offsets = [o for o, _ in self.found]
        # First record at or after each target, in offset order (Kafka's rule).
        self.assertEqual(offsets[:6], [0, 0, 1, 2, 4, 4], self.found)
        self.assertTrue(all(err is None for _, err in self.found), self.found)

    def test_past_every_record_is_none(self):
        self.assertEqual(self.found[6][0], -1, self.found)

    def test_kcat_query_by_timestamp(self):
        out = subprocess.run(["kcat", "-b", BOOTSTRAP, "-Q", "-t", f"{self.topic}:0:{BASE + 2400}"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("offset 2", out.stdout, out.stdout)

    def test_max_timestamp_query(self):
        # ListOffsets v7+ with timestamp -3: the record with the largest timestamp (offset 4).
        self.assertEqual(list_offsets_v7(self.topic, 0, -3), (0, 4, BASE + 5000))


if __name__ == "__main__":
    unittest.main()
