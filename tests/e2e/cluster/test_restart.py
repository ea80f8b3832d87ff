"""tests/e2e/cluster/broker: a broker stopped (gracefully or by SIGKILL) gives its bundles to the
other one, and comes back on the same ports and broker id.

Run by tests/e2e/cluster/run (takes ~1 min: the SIGKILL case waits for a 30 s ZooKeeper session),
or by hand: KOP_CLUSTER_DIR=/tmp/kc python3 tests/e2e/cluster/test_cluster_restart.py
"""
import os
import socket
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # tests/e2e: kafka_wire

import cluster  # noqa: E402
import kafka_wire  # noqa: E402

ENV = cluster.load_env()
HTTP_A, HTTP_B = int(ENV["HTTP_A"]), int(ENV["HTTP_B"])
BROKER_A, BROKER_B = ENV["BROKER_A"], ENV["BROKER_B"]
KAFKA_B = int(ENV["KAFKA_B"])
NS = f"public/cluster-restart-{os.getpid()}"
TOPIC = f"persistent://{NS}/t"
P0 = f"{TOPIC}-partition-0"


def kafka_b_refuses():
    try:
        socket.create_connection(("127.0.0.1", KAFKA_B), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def api_versions_error(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(kafka_wire.api_versions_v0(7))
        body = kafka_wire.read_frame(s, timeout=15)
    assert body is not None, f"Kafka port {port} closed without answering ApiVersions"
    return kafka_wire.parse_api_versions_v0(body)[1]


class BrokerStopStart(unittest.TestCase):
    def setUp(self):
        cluster.create_namespace(HTTP_A, NS, bundles=4, exist_ok=True)
        cluster.create_partitioned_topic(HTTP_A, TOPIC, 1, exist_ok=True)
        cluster.move_topic(HTTP_A, P0, BROKER_B)
        self.assertEqual(cluster.owner(HTTP_A, P0), BROKER_B)

    def tearDown(self):
        # A failed test must not leave B down for the tests after it.
        if not cluster.load_env()["PID_B"]:
            cluster.broker("b", "start")

    def assert_b_back(self):
        both = sorted([BROKER_A, BROKER_B])
        self.assertEqual(cluster.brokers(HTTP_A, ENV["CLUSTER"]), both)
        self.assertEqual(cluster.brokers(HTTP_B, ENV["CLUSTER"]), both)
        self.assertEqual(api_versions_error(KAFKA_B), 0)
        self.assertEqual(cluster.load_env()["PIDS"].count(" "), 2)   # storage, A, B
        # Bundles can be placed on the restarted broker again.
        cluster.move_topic(HTTP_A, P0, BROKER_B)
        self.assertEqual(cluster.owner(HTTP_A, P0), BROKER_B)

    def test_1_graceful_stop_then_start(self):
        cluster.broker("b", "stop")
        self.assertTrue(kafka_b_refuses())
        self.assertEqual(cluster.brokers(HTTP_A, ENV["CLUSTER"]), [BROKER_A])
        self.assertEqual(cluster.load_env()["PID_B"], "")
        # B released its bundles on the way down: the next lookup places the topic on A.
        self.assertEqual(cluster.owner(HTTP_A, P0), BROKER_A)
        cluster.broker("b", "start")
        self.assertEqual(cluster.load_env()["KAFKA_B"], str(KAFKA_B))
        self.assert_b_back()

    def test_2_kill_then_start(self):
        cluster.broker("b", "kill")
        self.assertTrue(kafka_b_refuses())
        # A crashed broker keeps its registration and bundles until its ZooKeeper session
        # expires (30 s); then a lookup places the topic on A.
        t0 = time.monotonic()
        cluster.wait_for(lambda: cluster.owner(HTTP_A, P0) == BROKER_A, timeout=90,
                         interval=1, what=f"{P0} owned by A after B was killed")
        print(f"ownership moved to A {time.monotonic() - t0:.0f} s after the kill", file=sys.stderr)
        self.assertEqual(cluster.brokers(HTTP_A, ENV["CLUSTER"]), [BROKER_A])
        cluster.broker("b", "start")
        self.assert_b_back()


if __name__ == "__main__":
    unittest.main(verbosity=2)
