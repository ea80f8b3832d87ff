"""The Pulsar side of Kafka consumer groups: each committed offset is mirrored into a durable
subscription named after the group on the partition's Pulsar topic, so Pulsar's topic stats show
the Kafka lag as the subscription's msgBacklog. A confluent-kafka group commits, moves forward,
resets backwards and is deleted; the subscriptions follow each step (asynchronously, hence the
short poll loops).

The mirror only acts on subscriptions it created, marked with the subscription property
kop-native.group-mirror=true (issue 11): a Pulsar application's subscription that a Kafka group
is named after is never moved or deleted, until an operator adopts it by adding the marker."""
import json
import time
import unittest

import kafka_wire as kw
from confluent_driver import Driver
from test_produce import HTTP_PORT, SUFFIX, admin

N = 10  # records per partition
MARKER = {"kop-native.group-mirror": "true"}


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

    def join_and_poll(self, group, topic):
        """Driver consumer `c` joins `group` on `topic` and consumes 8 records."""
        got = self.d(f"""
            c = consumer({group!r})
            c.subscribe([{topic!r}])
            _ = poll_records(c, 8, 30)""")
        self.assertEqual(len(got), 8, got)

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
        self.join_and_poll(group, topic)

        self.commit(topic, {0: 4, 1: 7})
        self.wait_backlogs(topic, group, {0: 4, 1: 7})
        sub = subscription(topic, 0, group)
        self.assertTrue(sub.get("isDurable", True), sub)
        for p in range(2):
            self.assertEqual(subscription(topic, p, group).get("subscriptionProperties"), MARKER,
                             f"the mirror's subscription on partition {p} carries the marker")

        self.commit(topic, {0: 9, 1: 10})  # forward; partition 1 fully consumed
        self.wait_backlogs(topic, group, {0: 9, 1: 10})

        self.commit(topic, {0: 1, 1: 2})  # a reset backwards: the backlog grows back
        self.wait_backlogs(topic, group, {0: 1, 1: 2})

        self.commit(topic, {0: 0})  # back to the very start of partition 0
        self.wait_backlogs(topic, group, {0: 0, 1: 2})

        # DeleteGroups (only once the last member left) removes the subscriptions.
        self.d("c.close(); a = admin()")
        self.delete_group(group)
        self.wait_gone(topic, group)

    def delete_group(self, group):
        self.d(f"a.delete_consumer_groups([{group!r}], request_timeout=15)[{group!r}].result(timeout=20)")

    def wait_gone(self, topic, group, timeout=15):
        """Waits until neither partition has subscription `group` (DeleteGroups removed them)."""
        deadline = time.monotonic() + timeout
        while True:
            left = {p: subscription(topic, p, group) for p in range(2)}
            if all(v is None for v in left.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        self.assertEqual(left, {0: None, 1: None}, f"subscriptions {group!r} left after DeleteGroups")

    @staticmethod
    def app_state(topic, name):
        """Per partition: (markDeletePosition, msgBacklog, subscriptionProperties) of subscription
        `name`, from internalStats and stats (None: no such subscription)."""
        state = {}
        for p in range(2):
            sub = subscription(topic, p, name)
            cursors = admin("GET", f"/{topic}-partition-{p}/internalStats").get("cursors", {})
            state[p] = None if sub is None else (cursors.get(name, {}).get("markDeletePosition"),
                                                 sub.get("msgBacklog"), sub.get("subscriptionProperties") or {})
        return state

    def wait_warnings(self, topic, name, want, timeout=10):
        """Waits until the broker log holds `want` lines saying subscription `name` of `topic` is
        left alone; asserts exactly that many."""
        if not kw.BROKER_LOG:
            return
        needle = f"subscription {name} on persistent://public/default/{topic}-partition-"
        deadline = time.monotonic() + timeout
        while True:
            with open(kw.BROKER_LOG, errors="replace") as f:
                lines = [line for line in f if needle in line and "kop-native leaves it alone" in line]
            if len(lines) >= want or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        self.assertEqual(len(lines), want, lines)
        self.assertTrue(all("WARN" in line for line in lines), lines)

    def test_foreign_subscription_is_left_alone(self):
        """A Kafka group named like a Pulsar application's subscription commits and is deleted: the
        application's subscription neither moves nor disappears, while the group's commits still
        succeed. Once the operator adds the marker, the mirror adopts it."""
        topic, name = f"e2e-foreign-{SUFFIX}", f"e2e-app-{SUFFIX}"
        control = f"e2e-foreign-ctl-{SUFFIX}"  # no foreign subscription: shows when the mirror has run
        for t in (topic, control):
            admin("PUT", f"/{t}/partitions", "2")
        errors = self.d(f"_ = [e for t in ({topic!r}, {control!r}) for e in produce_one_per_batch(t, "
                        f"{{p: [f'p{{p}}-v{{i}}' for i in range({N})] for p in range(2)}})]")
        self.assertEqual(errors, [])
        # The application's subscriptions (admin REST, as pulsar-admin does): from the earliest on
        # partition 0 (backlog N), and from the earliest then 6 skipped on partition 1 (backlog 4),
        # so a commit below or above either position would move it.
        for p in range(2):
            admin("PUT", f"/{topic}-partition-{p}/subscription/{name}", '{"ledgerId": -1, "entryId": -1}')
        admin("POST", f"/{topic}-partition-1/subscription/{name}/skip/6")
        before = self.app_state(topic, name)
        self.assertEqual([before[p][1:] for p in range(2)], [(N, {}), (N - 6, {})], before)

        self.join_and_poll(name, topic)
        self.commit(topic, {0: 4, 1: 2})
        self.commit(control, {0: 4, 1: 2})
        self.wait_backlogs(control, name, {0: 4, 1: 2})
        self.wait_warnings(topic, name, 2)
        self.commit(topic, {0: 9, 1: 10})
        self.commit(control, {0: 9, 1: 10})
        self.wait_backlogs(control, name, {0: 9, 1: 10})
        committed = self.d(f"_ = tps(c.committed([TopicPartition({topic!r}, 0), TopicPartition({topic!r}, 1)], "
                           f"timeout=10))")
        self.assertEqual([r[2] for r in committed], [9, 10], f"the group's offsets are kept: {committed}")
        self.assertEqual(self.app_state(topic, name), before, "the application's subscriptions after commits")
        self.wait_warnings(topic, name, 2)  # once per (partition, subscription), not per commit

        self.d("c.close(); a = admin()")
        self.delete_group(name)
        self.wait_gone(control, name)
        self.assertEqual(self.app_state(topic, name), before, "the application's subscriptions after DeleteGroups")

        # Adoption (docs/consumer-groups.md): with the marker added, the mirror moves and deletes it.
        for p in range(2):
            admin("PUT", f"/{topic}-partition-{p}/subscription/{name}/properties", json.dumps(MARKER))
        self.d(f"""
            c = consumer({name!r})
            c.subscribe([{topic!r}])
            _ = wait_assignment(c, 2, 30)""")
        self.commit(topic, {0: 7, 1: 3})
        self.wait_backlogs(topic, name, {0: 7, 1: 3})
        self.d("c.close()")
        self.delete_group(name)
        self.wait_gone(topic, name)


if __name__ == "__main__":
    unittest.main()
