"""Produce through the Kafka listener obeys the Pulsar policies a Pulsar producer does (issue 11,
docs/security.md "Pulsar policies on produce"): maxMessageSize, backlog quotas, a schema with
validation enforced, maxProducers and the publish rate. Each test sets a topic policy on its own
topic with the admin REST API; topic policies reach the broker asynchronously (through the
namespace's __change_events topic), so each test produces until the policy shows."""
import json
import os
import subprocess
import textwrap
import time
import unittest
import urllib.request

import kafka_wire as kw
from test_confluent import PY, ensure_venv
from test_produce import admin

HTTP_PORT = os.environ.get("KOP_E2E_HTTP_PORT", "")
SUFFIX = f"{os.getpid()}-{int(time.time())}"
POLICY_WAIT_S = 60

MESSAGE_TOO_LARGE = 10
POLICY_VIOLATION = 44
INVALID_RECORD = 87
REQUEST_TIMED_OUT = 7

# Runs inside the confluent-kafka venv: one acks=all delivery, then one JSON line with its
# outcome and how long it took.
HELD_CLIENT = textwrap.dedent("""
    import json, sys, time
    from confluent_kafka import Producer
    bootstrap, topic = sys.argv[1], sys.argv[2]
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0,
                  "request.timeout.ms": 30000, "message.timeout.ms": 90000})
    out = {}
    def report(err, msg):
        out["error"] = None if err is None else str(err)
        out["offset"] = None if err is not None else msg.offset()
    start = time.monotonic()
    p.produce(topic, value=b"held", partition=0, on_delivery=report)
    left = p.flush(100)
    out["elapsed_s"] = time.monotonic() - start
    out["undelivered"] = left
    print(json.dumps(out))
""")


def batch(n=1, size=10):
    return kw.record_batch_v2([(None, b"v" * size, []) for _ in range(n)])


def produce(topic, partition, records, timeout_ms=30000):
    """One Produce v9 on its own connection -> the partition's answer, with the response's
    throttle_time_ms."""
    with kw.connect(timeout=60) as s:
        s.sendall(kw.produce_v9(31, topic, partition, records, timeout_ms=timeout_ms))
        body = kw.read_frame(s, timeout=60)
    if body is None:
        raise AssertionError("broker closed the connection instead of answering Produce v9")
    resp = kw.parse_produce_v9(body)[1]
    return dict(resp["partitions"][(topic, partition)], throttle_time_ms=resp["throttle_time_ms"])


def produce_until(test, topic, make_batch, done, what, timeout_ms=30000):
    """Produces make_batch() to partition 0 until done(result); fails after POLICY_WAIT_S."""
    deadline = time.time() + POLICY_WAIT_S
    seen = None
    while time.time() < deadline:
        seen = produce(topic, 0, make_batch(), timeout_ms=timeout_ms)
        if done(seen):
            return seen
        time.sleep(0.5)
    test.fail(f"{what}: never seen, last answer {seen}")


class IdempotentProducer:
    """An idempotent producer on its own connection (its producer id from InitProducerId)."""

    def __init__(self):
        self.sock = kw.connect(timeout=60)
        self.sock.sendall(kw.init_producer_id_v0(1))
        _, error, self.pid, self.epoch = kw.parse_init_producer_id_v0(kw.read_frame(self.sock, timeout=60))
        if error != 0:
            raise AssertionError(f"InitProducerId answered {error}")
        self.seq = 0

    def produce(self, topic):
        b = kw.record_batch_v2([(None, b"x", [])], producer_id=self.pid, producer_epoch=self.epoch,
                               base_sequence=self.seq)
        self.sock.sendall(kw.produce_v9(41, topic, 0, b))
        body = kw.read_frame(self.sock, timeout=60)
        if body is None:
            raise AssertionError("broker closed the connection instead of answering Produce")
        p = kw.parse_produce_v9(body)[1]["partitions"][(topic, 0)]
        if p["error_code"] == 0:
            self.seq += 1
        return p

    def close(self):
        self.sock.close()


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class ProducePoliciesTest(unittest.TestCase):
    def topic(self, name):
        t = f"e2e-policy-{name}-{SUFFIX}"
        admin("PUT", f"/{t}/partitions", "1")
        return t

    def test_max_message_size(self):
        t = self.topic("size")
        admin("POST", f"/{t}/maxMessageSize", "2048")
        p = produce_until(self, t, lambda: batch(4, 1000), lambda r: r["error_code"] == MESSAGE_TOO_LARGE,
                          "MESSAGE_TOO_LARGE for a 4 KB batch over maxMessageSize 2048")
        self.assertIn("maxMessageSize", p["error_message"] or "", p)
        small = produce(t, 0, batch(1, 100))
        self.assertEqual(small["error_code"], 0, small)

    def backlog_quota(self, name, policy):
        t = self.topic(name)
        admin("PUT", f"/{t}-partition-0/subscription/held", '{"ledgerId": -1, "entryId": -1}')
        first = produce(t, 0, batch(4, 1000))
        self.assertEqual(first["error_code"], 0, first)
        admin("POST", f"/{t}/backlogQuota?backlogQuotaType=destination_storage",
              json.dumps({"limitSize": 1024, "limitTime": -1, "policy": policy}))
        return t

    def test_backlog_quota_producer_exception(self):
        t = self.backlog_quota("exception", "producer_exception")
        p = produce_until(self, t, batch, lambda r: r["error_code"] != 0, "a refusal over the backlog quota")
        self.assertEqual(p["error_code"], POLICY_VIOLATION, p)
        self.assertIn("backlog quota", p["error_message"] or "", p)

    def test_backlog_quota_producer_request_hold(self):
        t = self.backlog_quota("hold", "producer_request_hold")
        # A Produce with timeout_ms 1000 is held 900 ms, then answered REQUEST_TIMED_OUT (also how
        # the test sees that the quota reached the broker).
        p = produce_until(self, t, lambda: batch(), lambda r: r["error_code"] != 0,
                          "a held Produce timing out over the backlog quota", timeout_ms=1000)
        self.assertEqual(p["error_code"], REQUEST_TIMED_OUT, p)
        self.assertIn("producer_request_hold", p["error_message"] or "", p)
        timed = time.monotonic()
        again = produce(t, 0, batch(), timeout_ms=1000)
        held_s = time.monotonic() - timed
        self.assertEqual(again["error_code"], REQUEST_TIMED_OUT, again)
        self.assertGreaterEqual(held_s, 0.8, f"answered after {held_s:.2f} s: not held")
        self.assertLess(held_s, 10, again)
        # confluent-kafka's delivery waits while the backlog is over the quota ...
        ensure_venv()
        client = subprocess.Popen([PY, "-c", HELD_CLIENT, f"{kw.HOST}:{kw.PORT}", t], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(4)
            self.assertIsNone(client.poll(), "the delivery was not held")
            # ... and succeeds once the consumers catch up.
            admin("POST", f"/{t}-partition-0/subscription/held/skip_all")
            out, err = client.communicate(timeout=90)
        finally:
            if client.poll() is None:
                client.kill()
                client.communicate()
        self.assertEqual(client.returncode, 0, err[-2000:])
        result = json.loads(out.strip().splitlines()[-1])
        self.assertIsNone(result["error"], result)
        self.assertEqual(result["undelivered"], 0, result)
        self.assertGreaterEqual(result["elapsed_s"], 4, result)
        self.assertLess(result["elapsed_s"], 30, result)

    def test_schema_with_validation_enforced(self):
        t = self.topic("schema")
        schema = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
        req = {"type": "JSON", "schema": json.dumps(schema), "properties": {}}
        admin_schema = f"http://{kw.HOST}:{HTTP_PORT}/admin/v2/schemas/public/default/{t}/schema"
        r = urllib.request.Request(admin_schema, data=json.dumps(req).encode(), method="POST",
                                   headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(r, timeout=30) as resp:
            self.assertLess(resp.status, 300)
        admin("POST", f"/{t}/schemaValidationEnforced", "true")
        p = produce_until(self, t, batch, lambda r: r["error_code"] != 0, "a refusal of raw bytes")
        self.assertEqual(p["error_code"], INVALID_RECORD, p)
        self.assertIn("schema", p["error_message"] or "", p)

    def test_max_producers_counts_idempotent_producers(self):
        t = self.topic("producers")
        admin("POST", f"/{t}/maxProducers", "1")
        a, b = IdempotentProducer(), IdempotentProducer()
        try:
            deadline = time.time() + POLICY_WAIT_S
            refused = None
            while time.time() < deadline and refused is None:
                pa = a.produce(t)
                self.assertEqual(pa["error_code"], 0, pa)
                pb = b.produce(t)
                if pb["error_code"] != 0:
                    refused = pb
                else:
                    time.sleep(0.5)
            self.assertIsNotNone(refused, "the second producer was never refused")
            self.assertEqual(refused["error_code"], POLICY_VIOLATION, refused)
            self.assertIn("maxProducersPerTopic", refused["error_message"] or "", refused)
            again = a.produce(t)
            self.assertEqual(again["error_code"], 0, again)
            a.close()  # its slot is given back with its connection
            pb = produce_until_ok(self, b, t)
            self.assertEqual(pb["error_code"], 0, pb)
        finally:
            a.close()
            b.close()

    def test_publish_rate_throttles(self):
        t = self.topic("rate")
        admin("POST", f"/{t}/publishRate",
              json.dumps({"publishThrottlingRateInMsg": 100, "publishThrottlingRateInByte": -1}))
        # Pulsar throttles (pauses the connection), it never refuses: every answer is a success.
        p = produce_until(self, t, lambda: batch(300, 10),
                          lambda r: r["error_code"] != 0 or r["throttle_time_ms"] > 0,
                          "a throttle_time_ms over the publish rate")
        self.assertEqual(p["error_code"], 0, p)
        self.assertGreater(p["throttle_time_ms"], 0, p)


def produce_until_ok(test, producer, topic):
    deadline = time.time() + POLICY_WAIT_S
    p = None
    while time.time() < deadline:
        p = producer.produce(topic)
        if p["error_code"] == 0:
            return p
        time.sleep(0.2)
    test.fail(f"never accepted again: {p}")


if __name__ == "__main__":
    unittest.main()
