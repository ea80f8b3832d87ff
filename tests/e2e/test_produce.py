"""Kafka Produce end to end: records produced with kcat and with raw Produce v9 requests land in
the Pulsar topic (LogPort in the JNI bridge, PulsarPartitionLog in the shim) and are read back through
Pulsar's admin REST API."""
import json
import os
import shutil
import struct
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import kafka_wire as kw

HTTP_PORT = os.environ.get("KOP_E2E_HTTP_PORT", "")
ADMIN = f"http://{kw.HOST}:{HTTP_PORT}/admin/v2/persistent/public/default"
SUFFIX = f"{os.getpid()}-{int(time.time())}"


def admin_raw(method, path, body=None):
    """-> (status, headers, body bytes)."""
    data = None if body is None else body.encode()
    req = urllib.request.Request(ADMIN + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.headers, r.read()


def admin(method, path, body=None):
    _, _, data = admin_raw(method, path, body)
    return json.loads(data) if data else None


def api_versions():
    with kw.connect(timeout=30) as s:
        s.sendall(kw.api_versions_v0(5))
        body = kw.read_frame(s, timeout=30)
    if body is None:
        raise AssertionError("broker closed the connection instead of answering ApiVersions")
    return kw.parse_api_versions_v0(body)[2]


def _proto_fields(data):
    """Minimal protobuf reader: [(field number, value)], value an int or bytes."""
    c = kw._Cursor(data)
    out = []
    while c.off < len(data):
        tag = c.uvarint()
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            out.append((field, c.uvarint()))
        elif wire == 2:
            n = c.uvarint()
            out.append((field, data[c.off:c.off + n]))
            c.off += n
        else:
            raise AssertionError(f"unexpected protobuf wire type {wire}")
    return out


def peek_first_entry(partition_topic, subscription="e2e"):
    """The first stored entry of a Pulsar topic, read with a temporary subscription from the earliest
    position: a list of (value, key, {property: value}), one per message (Pulsar batch or not)."""
    admin("PUT", f"/{partition_topic}/subscription/{subscription}", '{"ledgerId": -1, "entryId": -1}')
    try:
        status, headers, payload = admin_raw("GET", f"/{partition_topic}/subscription/{subscription}/position/1")
    finally:
        admin("DELETE", f"/{partition_topic}/subscription/{subscription}")
    if status != 200:
        raise AssertionError(f"peek answered {status}")
    if headers.get("X-Pulsar-num-batch-message") is None:
        props = {k[len("X-Pulsar-PROPERTY-"):]: v for k, v in headers.items()
                 if k.startswith("X-Pulsar-PROPERTY-")}
        return [(payload, headers.get("X-Pulsar-partition-key"), props)]
    # A batch: [SingleMessageMetadata size:4][SingleMessageMetadata][payload] per message.
    out = []
    off = 0
    while off < len(payload):
        (size,) = struct.unpack_from(">i", payload, off)
        off += 4
        key, props, payload_size = None, {}, None
        for field, value in _proto_fields(payload[off:off + size]):
            if field == 1:
                kv = dict(_proto_fields(value))
                props[kv[1].decode()] = kv[2].decode()
            elif field == 2:
                key = value.decode()
            elif field == 3:
                payload_size = value
        off += size
        out.append((payload[off:off + payload_size], key, props))
        off += payload_size
    if len(out) != int(headers["X-Pulsar-num-batch-message"]):
        raise AssertionError(f"{len(out)} messages in a batch of {headers['X-Pulsar-num-batch-message']}")
    return out


def produce(topic, partition, batches, acks=-1, correlation_id=11):
    with kw.connect(timeout=60) as s:
        s.sendall(kw.produce_v9(correlation_id, topic, partition, batches, acks=acks))
        body = kw.read_frame(s, timeout=60)
    if body is None:
        raise AssertionError("broker closed the connection instead of answering Produce v9")
    cid, resp = kw.parse_produce_v9(body)
    if cid != correlation_id:
        raise AssertionError(f"correlation id {cid}, expected {correlation_id}")
    return resp["partitions"][(topic, partition)]


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class ProduceTest(unittest.TestCase):
    kcat_topic = f"e2e-produce-kcat-{SUFFIX}"
    raw_topic = f"e2e-produce-raw-{SUFFIX}"
    hostile_topic = f"e2e-produce-hostile-{SUFFIX}"

    @classmethod
    def setUpClass(cls):
        admin("PUT", f"/{cls.kcat_topic}/partitions", "2")
        admin("PUT", f"/{cls.raw_topic}/partitions", "2")
        admin("PUT", f"/{cls.hostile_topic}/partitions", "1")

    @unittest.skipUnless(shutil.which("kcat"), "kcat not installed")
    def test_kcat_records_reach_pulsar(self):
        # librdkafka writes magic-2 batches only if the broker also advertises Fetch v4+ (its
        # MsgVer2 feature); older magics are refused on Produce v3+, as Kafka does.
        fetch = api_versions().get(1)
        if fetch is None or fetch[1] < 4:
            self.skipTest("broker does not advertise Fetch v4+: librdkafka would send magic 0/1 batches")
        part = f"{self.kcat_topic}-partition-0"
        out = subprocess.run(
            ["kcat", "-b", f"{kw.HOST}:{kw.PORT}", "-P", "-t", self.kcat_topic, "-p", "0", "-K:",
             "-H", "h1=v1", "-X", "message.timeout.ms=60000"],
            input="k1:v1\nk2:v2\nk3:v3\n", capture_output=True, text=True, timeout=90)
        self.assertEqual(out.returncode, 0, out.stderr)
        for word in ("fail", "error"):
            self.assertNotIn(word, out.stderr.lower(), out.stderr)
        stats = admin("GET", f"/{part}/internalStats")
        self.assertGreaterEqual(stats["entriesAddedCounter"], 1, stats)
        value, key, props = peek_first_entry(part)[0]
        self.assertEqual(value, b"v1")
        self.assertEqual(key, "k1")
        self.assertEqual(props.get("h1"), "v1", props)

    def test_raw_produce_v9_offsets_and_pulsar_view(self):
        part = f"{self.raw_topic}-partition-1"
        batch = kw.record_batch_v2([(b"k%d" % i, b"value-%d" % i, [("h", b"x%d" % i)]) for i in range(3)])
        first = produce(self.raw_topic, 1, batch, correlation_id=21)
        self.assertEqual(first["error_code"], 0, first)
        self.assertEqual(first["base_offset"], 0, first)
        second = produce(self.raw_topic, 1, batch, correlation_id=22)
        self.assertEqual(second["error_code"], 0, second)
        self.assertEqual(second["base_offset"], 3, second)

        stats = admin("GET", f"/{part}/internalStats")
        self.assertGreaterEqual(stats["entriesAddedCounter"], 2, stats)
        messages = peek_first_entry(part)
        self.assertEqual(len(messages), 3, messages)
        self.assertEqual(messages[0], (b"value-0", "k0", {"h": "x0"}))
        self.assertEqual(messages[2], (b"value-2", "k2", {"h": "x2"}))

    def test_acks_1_and_other_partition(self):
        batch = kw.record_batch_v2([(None, b"one", [])])
        p = produce(self.raw_topic, 0, batch, acks=1, correlation_id=24)
        self.assertEqual(p["error_code"], 0, p)
        self.assertEqual(p["base_offset"], 0, p)

    def test_unknown_partition_is_refused(self):
        batch = kw.record_batch_v2([(None, b"x", [])])
        p = produce(self.raw_topic, 5, batch, correlation_id=23)
        self.assertEqual(p["error_code"], 3, p)

    def test_missing_topic_is_refused(self):
        batch = kw.record_batch_v2([(None, b"x", [])])
        p = produce(f"e2e-produce-missing-{SUFFIX}", 0, batch, correlation_id=25)
        self.assertEqual(p["error_code"], 3, p)

    def test_corrupt_crc_is_corrupt_message(self):
        batch = bytearray(kw.record_batch_v2([(b"k", b"v", [])]))
        batch[-1] ^= 0x01  # a value byte: covered by the CRC
        p = produce(self.hostile_topic, 0, bytes(batch), correlation_id=26)
        self.assertEqual(p["error_code"], 2, p)  # CORRUPT_MESSAGE
        self.assertEqual(p["base_offset"], -1, p)

    def test_decompression_bomb_is_refused_and_broker_serves_on(self):
        import zlib
        # 150 MiB of zeros as one gzip member: ~150 KB on the wire, past the 100 MiB cap.
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        payload = bytearray()
        chunk = bytes(1 << 20)
        for _ in range(150):
            payload += comp.compress(chunk)
        payload += comp.flush()
        ts = int(time.time() * 1000)
        after_crc = struct.pack(">hiqqqhii", 1, 0, ts, ts, -1, -1, -1, 1) + bytes(payload)
        tail = struct.pack(">ibI", 0, 2, kw.crc32c(after_crc)) + after_crc
        bomb = struct.pack(">qi", 0, len(tail)) + tail
        p = produce(self.hostile_topic, 0, bomb, correlation_id=27)
        self.assertEqual(p["error_code"], 87, p)  # INVALID_RECORD
        # The broker, and this partition, keep working.
        ok = produce(self.hostile_topic, 0, kw.record_batch_v2([(None, b"after", [])]), correlation_id=28)
        self.assertEqual(ok["error_code"], 0, ok)


if __name__ == "__main__":
    unittest.main()
