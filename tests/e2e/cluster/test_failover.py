"""A broker stops while Kafka clients produce and consume in a group (confluent-kafka):
Pulsar gives the stopped broker's bundles to the other one, the clients follow through Metadata
and FindCoordinator, and no acknowledged record is lost. The broker is started again at the end,
so the cluster is whole for the tests that follow.

Run by tests/e2e/cluster/run (KOP_CLUSTER_DIR names the running cluster).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cluster  # noqa: E402

cluster.with_confluent_kafka(__file__)

import threading  # noqa: E402
import time  # noqa: E402
import unittest  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer  # noqa: E402

ENV = cluster.load_env()
HTTP_A, HTTP_B = int(ENV["HTTP_A"]), int(ENV["HTTP_B"])
BROKER_A, BROKER_B = ENV["BROKER_A"], ENV["BROKER_B"]
BOTH = f"127.0.0.1:{ENV['KAFKA_A']},127.0.0.1:{ENV['KAFKA_B']}"
SUFFIX = f"{os.getpid()}"


class Failover(unittest.TestCase):
    def test_clients_follow_when_a_broker_stops(self):
        topic = f"failover-{SUFFIX}"
        placed = cluster.place_topic_partitions(HTTP_A, f"public/default/{topic}", 8, [BROKER_A, BROKER_B],
                                              verify_via=[HTTP_B])
        self.assertEqual(set(placed.values()), {BROKER_A, BROKER_B}, placed)
        n = 2500
        errors, acked = [], []

        def report(err, msg):
            if err is not None:
                errors.append(str(err))
            else:
                acked.append(msg.value().decode())

        def produce():
            p = Producer({"bootstrap.servers": BOTH, "enable.idempotence": True, "acks": "all",
                          "linger.ms": 5, "message.timeout.ms": 120000})
            for i in range(n):
                p.produce(topic, key=f"k{i}", value=f"v{i}", partition=i % 8, on_delivery=report)
                p.poll(0)
                time.sleep(0.006)  # ~15 s of producing: B stops in the middle
            left = p.flush(150)
            if left:
                errors.append(f"{left} records never delivered")
            print(f"failover: producer done: {len(acked)} acknowledged, {len(errors)} errors", flush=True)

        producer = threading.Thread(target=produce)
        producer.start()
        c = Consumer({"bootstrap.servers": BOTH, "group.id": f"failover-group-{SUFFIX}",
                      "auto.offset.reset": "earliest", "enable.auto.commit": True,
                      "auto.commit.interval.ms": 500, "session.timeout.ms": 10000,
                      **({"debug": os.environ["KOP_CLUSTER_CLIENT_DEBUG"]}
                         if os.environ.get("KOP_CLUSTER_CLIENT_DEBUG") else {})})
        c.subscribe([topic])
        got = set()
        stopped = False
        acked_at_stop = n
        deadline = time.monotonic() + 120  # under tests/e2e/cluster/run's 180 s per file
        try:
            while time.monotonic() < deadline:
                m = c.poll(0.5)
                if m is not None and not m.error():
                    got.add(m.value().decode())
                elif m is not None and m.error().code() != KafkaError._PARTITION_EOF:
                    print(f"consumer: {m.error()}", flush=True)  # retriable errors while B goes away
                if not stopped and len(got) >= 300:
                    # A graceful stop: B releases its bundles, A takes them on the next lookups.
                    print(f"failover: stopping B after {len(got)} records", flush=True)
                    cluster.broker("b", "stop")
                    stopped = True
                    acked_at_stop = len(acked)
                    print("failover: B stopped", flush=True)
                if not producer.is_alive() and len(got) >= n:
                    break
        finally:
            c.close()
            producer.join(30)
            if stopped:
                cluster.broker("b", "start")
        print(f"failover: {len(acked)} acknowledged, {len(errors)} errors, {len(got)} consumed", flush=True)
        self.assertTrue(stopped, f"only {len(got)} records consumed before the stop")
        self.assertLess(acked_at_stop, n, "the producer finished before B stopped")
        self.assertEqual(errors, [])
        self.assertEqual(len(acked), n)
        missing = set(acked) - got
        self.assertEqual(missing, set(), f"{len(missing)} acknowledged records never consumed")
        # Everything now lives on A.
        for p in range(8):
            self.assertEqual(cluster.owner(HTTP_A, f"persistent://public/default/{topic}-partition-{p}"), BROKER_A)


if __name__ == "__main__":
    unittest.main(verbosity=2)
