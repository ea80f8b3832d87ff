"""Topic metadata end to end: Kafka Metadata requests against real Pulsar topics (TopicPort in the
JNI bridge, TopicMetadataService in the shim), checked with kcat and with raw Metadata v9 requests."""
import json
import os
import re
import shutil
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import kafka_wire as kw

HTTP_PORT = os.environ.get("KOP_E2E_HTTP_PORT", "")
ADMIN = f"http://{kw.HOST}:{HTTP_PORT}/admin/v2/persistent/public/default"
SUFFIX = f"{os.getpid()}-{int(time.time())}"


def admin(method, path, body=None):
    data = None if body is None else body.encode()
    req = urllib.request.Request(ADMIN + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read().decode()
        return json.loads(text) if text else None


def partitioned_topics():
    return admin("GET", "/partitioned")


def all_topics():
    return admin("GET", "")


def kcat_metadata(*args):
    out = subprocess.run(["kcat", "-b", f"{kw.HOST}:{kw.PORT}", "-L", "-J", "-m", "30", *args],
                         capture_output=True, text=True, timeout=90)
    if out.returncode != 0:
        raise AssertionError(f"kcat failed ({out.returncode}): {out.stderr.strip()}")
    return json.loads(out.stdout)


def metadata_v9(topics, allow_auto_topic_creation, correlation_id=7):
    with kw.connect(timeout=60) as s:
        s.sendall(kw.metadata_v9(correlation_id, topics, allow_auto_topic_creation))
        body = kw.read_frame(s, timeout=60)
    if body is None:
        raise AssertionError("broker closed the connection instead of answering Metadata v9")
    cid, md = kw.parse_metadata_v9(body)
    if cid != correlation_id:
        raise AssertionError(f"correlation id {cid}, expected {correlation_id}")
    return md


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class TopicMetadataTest(unittest.TestCase):
    node = kw.node_id(kw.HOST, kw.PORT)
    partitioned = f"e2e-md-part-{SUFFIX}"
    plain = f"e2e-md-plain-{SUFFIX}"

    @classmethod
    def setUpClass(cls):
        admin("PUT", f"/{cls.partitioned}/partitions", "3")
        admin("PUT", f"/{cls.plain}")

    def check_partitions(self, topic, expected):
        self.assertEqual(topic.get("error_code", 0), 0, topic)
        parts = topic["partitions"]
        self.assertEqual(sorted(p["partition_index"] for p in parts), list(range(expected)), topic)
        for p in parts:
            self.assertEqual(p["error_code"], 0, p)
            self.assertEqual(p["leader_id"], self.node, p)
            self.assertEqual(p["replica_nodes"], [self.node], p)
            self.assertEqual(p["isr_nodes"], [self.node], p)

    @unittest.skipUnless(shutil.which("kcat"), "kcat not installed")
    def test_kcat_lists_partitioned_topic(self):
        md = kcat_metadata("-t", self.partitioned)
        brokers = {b["id"]: b["name"] for b in md["brokers"]}
        self.assertEqual(brokers, {self.node: f"{kw.HOST}:{kw.PORT}"}, md)
        topics = {t["topic"]: t for t in md["topics"]}
        self.assertIn(self.partitioned, topics, md)
        t = topics[self.partitioned]
        self.assertNotIn("error", t, t)
        self.assertEqual(sorted(p["partition"] for p in t["partitions"]), [0, 1, 2], t)
        for p in t["partitions"]:
            self.assertEqual(p["leader"], self.node, p)

    @unittest.skipUnless(shutil.which("kcat"), "kcat not installed")
    def test_kcat_lists_all_topics(self):
        md = kcat_metadata()
        topics = {t["topic"]: t for t in md["topics"]}
        self.assertIn(self.partitioned, topics, md)
        self.assertEqual(len(topics[self.partitioned]["partitions"]), 3, topics[self.partitioned])
        self.assertIn(self.plain, topics, md)
        self.assertEqual(len(topics[self.plain]["partitions"]), 1, topics[self.plain])
        for name in topics:
            self.assertNotRegex(name, r"-partition-\d+$")
            self.assertFalse(name.startswith("__"), f"system topic {name} listed")

    def test_metadata_v9_known_topics(self):
        md = kw_retry(lambda: metadata_v9([self.partitioned, self.plain], False))
        self.assertEqual([(b["node_id"], b["host"], b["port"]) for b in md["brokers"]],
                         [(self.node, kw.HOST, kw.PORT)])
        self.assertEqual(md["controller_id"], self.node)
        topics = {t["name"]: t for t in md["topics"]}
        self.assertEqual(set(topics), {self.partitioned, self.plain})
        self.check_partitions(topics[self.partitioned], 3)
        self.check_partitions(topics[self.plain], 1)

    def test_metadata_v9_missing_topic_without_auto_creation(self):
        name = f"e2e-md-missing-{SUFFIX}"
        md = metadata_v9([name], False)
        self.assertEqual([(t["name"], t["error_code"]) for t in md["topics"]], [(name, 3)])
        self.assertNotIn(f"persistent://public/default/{name}", partitioned_topics())
        self.assertNotIn(f"persistent://public/default/{name}", all_topics())

    def test_metadata_v9_invalid_topic_name(self):
        md = metadata_v9(["bad/name"], True)
        self.assertEqual([(t["name"], t["error_code"]) for t in md["topics"]], [("bad/name", 17)])

    def test_metadata_v9_auto_creates_topic(self):
        name = f"e2e-md-auto-{SUFFIX}"
        md = metadata_v9([name], True)
        self.assertEqual(len(md["topics"]), 1, md)
        topic = md["topics"][0]
        self.assertEqual(topic["name"], name)
        # scripts/standalone: allowAutoTopicCreationType=partitioned, defaultNumPartitions=1
        self.check_partitions(topic, 1)
        self.assertIn(f"persistent://public/default/{name}", partitioned_topics())
        # A second lookup finds it without creating anything.
        md = metadata_v9([name], False)
        self.check_partitions(md["topics"][0], 1)

    def test_z_no_errors_logged(self):
        # Runs last in this class (unittest sorts methods): nothing above made kop-native log an
        # error or a failed lookup/listing.
        bad = [l for l in kw.broker_log().splitlines()
               if re.search(r"\sERROR\s+\[[^\]]*\]\s+(i\.k\.|io\.kopnative)", l)
               or "topic lookup" in l and "failed" in l or "listing the topics" in l]
        self.assertEqual(bad, [], "kop-native logged errors")


def kw_retry(fn, attempts=3):
    for i in range(attempts):
        try:
            return fn()
        except (AssertionError, OSError):
            if i == attempts - 1:
                raise
            time.sleep(1)
