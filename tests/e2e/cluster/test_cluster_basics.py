"""The two-broker harness itself (independent of the Kafka handler's ownership logic): both Kafka
listeners answer, REST sees two brokers, and bundles move between them on request.

Run by tests/e2e/cluster/run, or by hand against a running cluster:
    KOP_CLUSTER_DIR=/tmp/kc python3 tests/e2e/cluster/test_cluster_basics.py
"""
import os
import socket
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # tests/e2e: kafka_wire

import cluster  # noqa: E402
import kafka_wire  # noqa: E402

ENV = cluster.load_env()
HTTP_A, HTTP_B = int(ENV["HTTP_A"]), int(ENV["HTTP_B"])
BROKER_A, BROKER_B = ENV["BROKER_A"], ENV["BROKER_B"]
NS = f"public/cluster-basics-{os.getpid()}"


def api_versions(port, correlation_id):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(kafka_wire.api_versions_v0(correlation_id))
        body = kafka_wire.read_frame(s, timeout=15)
    if body is None:
        raise AssertionError(f"Kafka port {port} closed the connection without an ApiVersions answer")
    return kafka_wire.parse_api_versions_v0(body)


class ClusterBasics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cluster.create_namespace(HTTP_A, NS, bundles=4)

    def test_env_is_consistent(self):
        self.assertEqual(BROKER_A, f"127.0.0.1:{HTTP_A}")
        self.assertEqual(BROKER_B, f"127.0.0.1:{HTTP_B}")
        ports = [ENV[k] for k in ("KAFKA_A", "KAFKA_B", "HTTP_A", "HTTP_B", "PULSAR_A", "PULSAR_B")]
        self.assertEqual(len(set(ports)), 6, ports)

    def test_both_kafka_listeners_answer_api_versions(self):
        for name, port, cid in (("A", int(ENV["KAFKA_A"]), 4242), ("B", int(ENV["KAFKA_B"]), 4343)):
            with self.subTest(broker=name):
                correlation_id, error_code, apis = api_versions(port, cid)
                self.assertEqual(correlation_id, cid)
                self.assertEqual(error_code, 0)
                self.assertEqual(apis[kafka_wire.API_VERSIONS][0], 0)   # ApiVersions from v0
                for key in (0, 1, 3, 10):   # Produce, Fetch, Metadata, FindCoordinator
                    self.assertIn(key, apis)

    def test_rest_lists_two_brokers_and_one_leader(self):
        want = sorted([BROKER_A, BROKER_B])
        self.assertEqual(cluster.brokers(HTTP_A, ENV["CLUSTER"]), want)
        self.assertEqual(cluster.brokers(HTTP_B, ENV["CLUSTER"]), want)
        leader = cluster.leader(HTTP_A)
        self.assertIn(leader, want)
        self.assertEqual(cluster.leader(HTTP_B), leader)

    def test_each_broker_advertises_its_own_kafka_listener(self):
        for http, kafka in ((HTTP_A, ENV["KAFKA_A"]), (HTTP_B, ENV["KAFKA_B"])):
            report = cluster.load_report(http)
            self.assertEqual(report["webServiceUrl"], f"http://127.0.0.1:{http}")
            self.assertEqual(report["protocols"], {"kafka": f"PLAINTEXT://127.0.0.1:{kafka}"})

    def test_group_coordinator_topic_appears(self):
        # Created by the handler in the background after start; 50 = offsetsTopicNumPartitions.
        offsets = "persistent://public/__kafka/__consumer_offsets"
        cluster.wait_for(lambda: cluster.partitions(HTTP_B, offsets) > 0, timeout=60, what=offsets)
        self.assertEqual(cluster.partitions(HTTP_A, offsets), 50)
        self.assertEqual(cluster.partitions(HTTP_A, "persistent://public/default/no-such-topic"), 0)

    def test_unload_to_b_then_back_to_a(self):
        topic = f"persistent://{NS}/moved"
        cluster.create_partitioned_topic(HTTP_A, topic, 1)
        p0 = f"{topic}-partition-0"
        bundle = cluster.bundle_of(HTTP_A, p0)
        self.assertEqual(cluster.bundle_of(HTTP_B, p0), bundle)
        self.assertIn(bundle, cluster.bundles(HTTP_A, NS))
        cluster.owner(HTTP_A, p0)   # owned by someone first, so the unloads below move a loaded bundle

        # One unload each way, asked of the broker that is not the destination, never repeated:
        # the lookups only poll (the other broker's ownership cache may lag for a moment).
        cluster.unload_bundle(HTTP_A, NS, bundle, destination_broker=BROKER_B)
        waited = [cluster.wait_owner(HTTP_A, p0, BROKER_B), cluster.wait_owner(HTTP_B, p0, BROKER_B)]
        self.assertEqual(cluster.owner(HTTP_A, p0), BROKER_B)
        self.assertEqual(cluster.lookup(HTTP_A, p0)["brokerUrl"], f"pulsar://127.0.0.1:{ENV['PULSAR_B']}")
        self.assertIn(f"{NS}/{bundle}", cluster.owned_bundles(HTTP_B, ENV["CLUSTER"], BROKER_B, NS))
        self.assertNotIn(f"{NS}/{bundle}", cluster.owned_bundles(HTTP_A, ENV["CLUSTER"], BROKER_A, NS))

        cluster.unload_bundle(HTTP_B, NS, bundle, destination_broker=BROKER_A)
        waited += [cluster.wait_owner(HTTP_B, p0, BROKER_A), cluster.wait_owner(HTTP_A, p0, BROKER_A)]
        print(f"lookups agreed after {', '.join(f'{w:.1f}' for w in waited)} s", file=sys.stderr)
        self.assertEqual(cluster.owner(HTTP_B, p0), BROKER_A)
        self.assertEqual(cluster.lookup(HTTP_B, p0)["brokerUrl"], f"pulsar://127.0.0.1:{ENV['PULSAR_A']}")
        self.assertIn(f"{NS}/{bundle}", cluster.owned_bundles(HTTP_A, ENV["CLUSTER"], BROKER_A, NS))
        self.assertNotIn(f"{NS}/{bundle}", cluster.owned_bundles(HTTP_B, ENV["CLUSTER"], BROKER_B, NS))

    def test_place_topic_partitions_spreads_over_both_brokers(self):
        topic = f"persistent://{NS}/spread"
        placed = cluster.place_topic_partitions(HTTP_B, topic, 8, [BROKER_A, BROKER_B], verify_via=[HTTP_A])
        self.assertEqual(sorted(placed), list(range(8)))
        self.assertEqual(set(placed.values()), {BROKER_A, BROKER_B})
        # Partition 0's bundle went to the first broker given; every lookup agrees from both sides.
        self.assertEqual(placed[0], BROKER_A)
        for i, broker in placed.items():
            p = f"{topic}-partition-{i}"
            self.assertEqual(cluster.owner(HTTP_A, p), broker, p)
            self.assertEqual(cluster.owner(HTTP_B, p), broker, p)
        # Swapping the order moves every bundle to the other broker.
        swapped = cluster.place_topic_partitions(HTTP_A, topic, 8, [BROKER_B, BROKER_A], verify_via=[HTTP_B])
        other = {BROKER_A: BROKER_B, BROKER_B: BROKER_A}
        self.assertEqual(swapped, {i: other[b] for i, b in placed.items()})


if __name__ == "__main__":
    unittest.main(verbosity=2)
