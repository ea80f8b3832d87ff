"""The Pulsar side of Kafka consumer groups: each committed offset is mirrored into a durable
subscription named after the group on the partition's Pulsar topic, so Pulsar's topic stats show
the Kafka lag as the subscription's msgBacklog. A confluent-kafka group commits, moves forward,
resets backwards and is deleted; the subscriptions follow each step (asynchronously, hence the
short poll loops)."""
import time
import unittest

from confluent_driver import Driver
from test_produce import HTTP_PORT, SUFFIX, admin

N = 10  # records per partition


def subscription(topic, partition, name):
    """The stats of subscription `name` on one partition, or None if there is none."""
    stats = admin("GET", f"/{topic}-partition-{partition}/stats")
    return stats.get("subscriptions", {}).get(name)


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class GroupSubscriptionMirrorTest(unittest.TestCase):
    def setUp(self):
        self.d = Driver()
        self.addCleanup(self.d.close)

    def wait_backlogs(self, topic, group, committed, timeout=15):
        """Waits until the group's subscription on partition p has msgBacklog == end - committed[p]
        (the Kafka lag); fails with what was seen."""
        ends = self.d(f"""_ = [c.get_watermark_offsets(TopicPartition({topic!r}, p), timeout=10)[1]
                               for p in range(2)]""")
        self.assertEqual(ends, [N, N], "log end offsets (ListOffsets latest)")
        want = {p: ends[p] - committed[p] for p in committed}
        deadline = time.monotonic() + timeout
        while True:
            seen = {}
            for p in committed:
                sub = subscription(topic, p, group)
                seen[p] = None if sub is None else sub.get("msgBacklog")
            if seen == want or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        self.assertEqual(seen, want, f"msgBacklog of subscription {group!r} per partition after committing "
                                     f"{committed} with log end offsets {ends} (None: no such subscription)")

    def commit(self, topic, offsets):
        tps = ", ".join(f"TopicPartition({topic!r}, {p}, {o})" for p, o in offsets.items())
        result = self.d(f"_ = tps(c.commit(offsets=[{tps}], asynchronous=False))")
        self.assertEqual([r[4] for r in result], [None] * len(offsets), result)

    def test_subscription_backlog_follows_commits(self):
        topic, group = f"e2e-mirror-{SUFFIX}", f"e2e-mirror-g-{SUFFIX}"
        admin("PUT", f"/{topic}/partitions", "2")
        # The mirror acknowledges whole Pulsar entries below the committed offset, and one produce
        # batch is one entry that may hold several Kafka records. One record per batch (linger.ms=0,
        # a flush after each) makes every entry one record, so the backlog equals the lag exactly.
        errors = self.d(f"_ = produce_one_per_batch({topic!r}, {{p: [f'p{{p}}-v{{i}}' for i in range({N})] "
                        f"for p in range(2)}})")
        self.assertEqual(errors, [])
        for p in range(2):
            self.assertEqual(admin("GET", f"/{topic}-partition-{p}/stats")["subscriptions"], {},
                             "subscriptions before any commit")
        got = self.d(f"""
            c = consumer({group!r})
            c.subscribe([{topic!r}])
            _ = poll_records(c, 8, 30)""")
        self.assertEqual(len(got), 8, got)

        self.commit(topic, {0: 4, 1: 7})
        self.wait_backlogs(topic, group, {0: 4, 1: 7})
        sub = subscription(topic, 0, group)
        self.assertTrue(sub.get("isDurable", True), sub)

        self.commit(topic, {0: 9, 1: 10})  # forward; partition 1 fully consumed
        self.wait_backlogs(topic, group, {0: 9, 1: 10})

        self.commit(topic, {0: 1, 1: 2})  # a reset backwards: the backlog grows back
        self.wait_backlogs(topic, group, {0: 1, 1: 2})

        self.commit(topic, {0: 0})  # back to the very start of partition 0
        self.wait_backlogs(topic, group, {0: 0, 1: 2})

        # DeleteGroups (only once the last member left) removes the subscriptions.
        self.d("c.close(); a = admin()")
        self.d(f"a.delete_consumer_groups([{group!r}], request_timeout=15)[{group!r}].result(timeout=20)")
        deadline = time.monotonic() + 15
        while True:
            left = {p: subscription(topic, p, group) for p in range(2)}
            if all(v is None for v in left.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        self.assertEqual(left, {0: None, 1: None}, f"subscriptions {group!r} left after DeleteGroups")


if __name__ == "__main__":
    unittest.main()
