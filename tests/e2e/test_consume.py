"""Kafka Fetch and ListOffsets end to end: records produced with kcat are consumed back with kcat
(Fetch through LogPort::Read in the JNI bridge, PartitionReader in the shim), offsets are listed
with raw ListOffsets v1 requests, and a consumer waiting at the log end gets a new record (long
poll)."""
import json
import shutil
import struct
import subprocess
import time
import unittest

import kafka_wire as kw
from test_produce import HTTP_PORT, SUFFIX, admin

LIST_OFFSETS = 2
BROKER = f"{kw.HOST}:{kw.PORT}"


def list_offsets_v1(topic, partition, timestamp, correlation_id=21):
    """-> (error_code, offset) of a ListOffsets v1 request for one partition."""
    name = topic.encode()
    body = struct.pack(">ii", -1, 1) + struct.pack(">h", len(name)) + name
    body += struct.pack(">iiq", 1, partition, timestamp)
    with kw.connect(timeout=60) as s:
        s.sendall(kw.frame(kw.request_header_v1(LIST_OFFSETS, 1, correlation_id) + body))
        resp = kw.read_frame(s, timeout=60)
    if resp is None:
        raise AssertionError("broker closed the connection instead of answering ListOffsets v1")
    c = kw._Cursor(resp)
    if c.take(">i") != correlation_id:
        raise AssertionError("wrong correlation id")
    if c.take(">i") != 1:
        raise AssertionError("expected one topic")
    (n,) = struct.unpack_from(">h", resp, c.off)
    c.off += 2 + n
    if c.take(">i") != 1:
        raise AssertionError("expected one partition")
    p, err, _ts, offset = c.take(">i"), c.take(">h"), c.take(">q"), c.take(">q")
    if p != partition:
        raise AssertionError(f"partition {p}, expected {partition}")
    return err, offset


def kcat_consume(topic, offset, extra=(), timeout=60):
    out = subprocess.run(["kcat", "-b", BROKER, "-C", "-t", topic, "-p", "0", "-o", str(offset), "-e", "-J",
                          *extra], capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise AssertionError(f"kcat -C exited {out.returncode}: {out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def kcat_produce(topic, lines, headers=(), extra=()):
    args = ["kcat", "-b", BROKER, "-P", "-t", topic, "-p", "0", "-K:", "-X", "message.timeout.ms=60000", *extra]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args, input="".join(line + "\n" for line in lines), capture_output=True, text=True,
                         timeout=90)
    if out.returncode != 0:
        raise AssertionError(f"kcat -P exited {out.returncode}: {out.stderr}")


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
@unittest.skipUnless(shutil.which("kcat"), "kcat not installed")
class ConsumeTest(unittest.TestCase):
    topic = f"e2e-consume-{SUFFIX}"
    poll_topic = f"e2e-consume-poll-{SUFFIX}"
    records = [(f"key-{i}", f"value-{i}-" + "x" * i) for i in range(20)]
    headers = ("h1=v1", "trace=abc")

    @classmethod
    def setUpClass(cls):
        admin("PUT", f"/{cls.topic}/partitions", "1")
        admin("PUT", f"/{cls.poll_topic}/partitions", "1")
        # One record per batch: 20 stored entries, so offset 10 is found inside the ledger.
        kcat_produce(cls.topic, [f"{k}:{v}" for k, v in cls.records], cls.headers,
                     ["-X", "batch.num.messages=1", "-X", "linger.ms=0"])

    def check(self, got, first):
        self.assertEqual([m["offset"] for m in got], list(range(first, 20)), got)
        for m in got:
            key, value = self.records[m["offset"]]
            self.assertEqual(m["key"], key)
            self.assertEqual(m["payload"], value)
            self.assertEqual(m.get("headers"), ["h1", "v1", "trace", "abc"], m)

    def test_consume_from_beginning(self):
        self.check(kcat_consume(self.topic, "beginning"), 0)

    def test_consume_from_offset_10(self):
        self.check(kcat_consume(self.topic, 10), 10)

    def test_small_fetches_still_progress(self):
        # max.partition.fetch.bytes below one entry: at least one entry each time.
        got = kcat_consume(self.topic, 0, ["-X", "fetch.message.max.bytes=1"])
        self.check(got, 0)

    def test_read_cursors_are_deleted(self):
        # One cursor per read, deleted when it completes; a long poll's cursor (kcat's last fetch
        # waits fetch.wait.max.ms = 500 ms at the log end) goes when its wait ends.
        kcat_consume(self.topic, 5)
        deadline = time.monotonic() + 10
        while True:
            stats = admin("GET", f"/{self.topic}-partition-0/internalStats")
            left = [c for c in stats.get("cursors", {}) if c.startswith("kop-native-read-")]
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertGreaterEqual(stats["entriesAddedCounter"], 20, stats)
        self.assertEqual(left, [], stats.get("cursors"))

    def test_list_offsets_latest_and_earliest(self):
        self.assertEqual(list_offsets_v1(self.topic, 0, -1), (0, 20))
        self.assertEqual(list_offsets_v1(self.topic, 0, -2), (0, 0))

    def test_list_offsets_unknown_partition(self):
        err, _ = list_offsets_v1(self.topic, 5, -1)
        self.assertEqual(err, 3)

    def test_long_poll_gets_new_record(self):
        kcat_produce(self.poll_topic, ["before:0"])
        consumer = subprocess.Popen(["kcat", "-b", BROKER, "-C", "-t", self.poll_topic, "-p", "0", "-o", "end",
                                     "-c", "1", "-J"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(4)  # connected and waiting at the log end
            self.assertIsNone(consumer.poll(), "kcat exited before a record was produced")
            started = time.monotonic()
            kcat_produce(self.poll_topic, ["after:1"])
            out, err = consumer.communicate(timeout=30)
            elapsed = time.monotonic() - started
        finally:
            if consumer.poll() is None:
                consumer.kill()
                consumer.communicate()
        self.assertEqual(consumer.returncode, 0, err)
        msgs = [json.loads(line) for line in out.splitlines() if line.strip()]
        self.assertEqual(len(msgs), 1, out)
        self.assertEqual((msgs[0]["offset"], msgs[0]["key"], msgs[0]["payload"]), (1, "after", "1"))
        self.assertLess(elapsed, 15)


if __name__ == "__main__":
    unittest.main()
