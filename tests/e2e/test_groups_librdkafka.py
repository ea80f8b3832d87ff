"""Classic consumer groups end to end with the librdkafka family: kcat -G balanced consumers share
a 4-partition topic and resume at their committed offsets; confluent-kafka commits automatically
and by hand (with metadata), reads its commits back, and sees its group through the AdminClient
(ListGroups, DescribeGroups, OffsetFetch, DeleteGroups). A stale-generation commit cannot be
made with librdkafka (it always sends its current generation), so that error path is driven with
raw JoinGroup/SyncGroup/OffsetCommit requests."""
import json
import os
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import kafka_wire as kw
from confluent_driver import BOOTSTRAP, Driver, DriverError
from test_consume import list_offsets_v1
from test_produce import HTTP_PORT, SUFFIX, admin, produce

KCAT = shutil.which("kcat")
# e.g. KOP_E2E_KCAT_DEBUG=cgrp,fetch: librdkafka debug logging on the members' stderr
KCAT_DEBUG = ["-d", os.environ["KOP_E2E_KCAT_DEBUG"]] if os.environ.get("KOP_E2E_KCAT_DEBUG") else []
_counter = iter(range(1000))


def unique(kind):
    return f"e2e-{kind}-{SUFFIX}-{next(_counter)}"


def kcat_produce(topic, partition, values):
    out = subprocess.run(["kcat", "-b", BOOTSTRAP, "-P", "-t", topic, "-p", str(partition),
                          "-X", "message.timeout.ms=30000"],
                         input="".join(v + "\n" for v in values), capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError(f"kcat -P -p {partition} exited {out.returncode}: {out.stderr}")


class KcatGroupMember:
    """A `kcat -G` process; collects its records (stdout, "partition:offset:value") and the
    partitions of its latest "assigned:" rebalance line (stderr)."""

    def __init__(self, group, topic, extra=()):
        self.topic = topic
        self.records, self.stderr = [], []
        self.assigned = None
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            ["kcat", "-b", BOOTSTRAP, "-G", group, "-u", "-f", "%p:%o:%s\\n",
             "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
             "-X", "auto.offset.reset=earliest", "-X", "auto.commit.interval.ms=500", *extra, *KCAT_DEBUG, topic],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.threads = [threading.Thread(target=self._read_out, daemon=True),
                        threading.Thread(target=self._read_err, daemon=True)]
        for t in self.threads:
            t.start()

    def _read_out(self):
        for line in self.proc.stdout:
            with self.lock:
                try:
                    p, o, v = line.rstrip("\n").split(":", 2)
                    self.records.append((int(p), int(o), v))
                except ValueError:
                    self.stderr.append(f"(unexpected stdout line {line!r})")

    def _read_err(self):
        # e.g. "% Group g rebalanced (memberid rdkafka-...): assigned: t [0], t [2]"
        for line in self.proc.stderr:
            with self.lock:
                self.stderr.append(line.rstrip("\n"))
                if "assigned:" in line:
                    parts = line.split("assigned:", 1)[1]
                    self.assigned = sorted(int(x.split("]")[0]) for x in parts.split("[")[1:])
                elif "revoked:" in line:
                    self.assigned = []

    def kcat_lines(self):
        """kcat's own stderr lines (not librdkafka's debug log)."""
        with self.lock:
            return [line for line in self.stderr if line.startswith(("%", "("))]

    def snapshot(self):
        with self.lock:
            return list(self.records), self.assigned

    def stop(self):
        """SIGTERM: kcat closes its consumer, which commits the offsets it consumed."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for t in self.threads:
            t.join(timeout=10)
        if KCAT_DEBUG:
            with tempfile.NamedTemporaryFile("w", prefix="kop-e2e-kcat-", suffix=".log", delete=False) as f:
                f.write("\n".join(self.stderr))
            self.stderr.insert(0, f"(full stderr in {f.name})")
        return self.proc.returncode


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class KcatBalancedConsumerTest(unittest.TestCase):
    def setUp(self):
        if not KCAT:
            if kw.REQUIRE_ANSWERS:
                self.fail("kcat is not installed (KOP_E2E_REQUIRE_ANSWERS=1)")
            self.skipTest("kcat not installed")

    def test_two_members_share_partitions_and_resume(self):
        topic, group = unique("kcat-group"), unique("kcat-g")
        admin("PUT", f"/{topic}/partitions", "4")
        members = [KcatGroupMember(group, topic), KcatGroupMember(group, topic)]
        try:
            # Both members hold two partitions each before anything is produced, so no record is
            # consumed under an assignment a later rebalance takes away (which would legitimately
            # deliver it twice).
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                assigned = [m.snapshot()[1] for m in members]
                if all(a is not None and len(a) == 2 for a in assigned) and \
                        sorted(assigned[0] + assigned[1]) == [0, 1, 2, 3]:
                    break
                if any(m.proc.poll() is not None for m in members):
                    break
                time.sleep(0.2)
            self.assertEqual(sorted(assigned[0] + assigned[1]) if None not in assigned else None, [0, 1, 2, 3],
                             f"assignments {assigned}; kcat stderr: {[m.kcat_lines() for m in members]}")
            self.assertEqual([len(a) for a in assigned], [2, 2], assigned)
            # Let both look up their start offsets (earliest, no commits yet) on the empty partitions
            # first: ListOffsets racing the first produce is FirstBatchEarliestOffsetTest's subject.
            time.sleep(1)

            expected = set()
            for p in range(4):
                values = [f"p{p}-v{i}" for i in range(10)]
                kcat_produce(topic, p, values)
                expected |= {(p, i, v) for i, v in enumerate(values)}
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and sum(len(m.snapshot()[0]) for m in members) < 40:
                time.sleep(0.2)
            time.sleep(1)  # a duplicate would show up now
        finally:
            codes = [m.stop() for m in members]
        got = [m.snapshot()[0] for m in members]
        self.assertEqual(sorted(got[0] + got[1]), sorted(expected),
                         f"kcat stderr: {[m.kcat_lines() for m in members]}")
        for a, records in zip(assigned, got):
            self.assertEqual({p for p, _, _ in records}, set(a), "a member consumed partitions it was not assigned")
        self.assertEqual(codes, [0, 0], [m.kcat_lines() for m in members])

        # Same group again: only what was produced after the members left (their close committed
        # offset 10 on every partition).
        for p in range(4):
            kcat_produce(topic, p, [f"p{p}-new{i}" for i in range(2)])
        out = subprocess.run(["kcat", "-b", BOOTSTRAP, "-G", group, "-e", "-f", "%p:%o:%s\\n",
                              "-X", "session.timeout.ms=6000", "-X", "auto.offset.reset=earliest", topic],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr[-2000:])
        again = sorted(tuple(int(x) if i < 2 else x for i, x in enumerate(line.split(":", 2)))
                       for line in out.stdout.splitlines() if line)
        self.assertEqual(again, sorted((p, 10 + i, f"p{p}-new{i}") for p in range(4) for i in range(2)),
                         f"the second run of group {group} did not resume at offset 10 on every partition; "
                         f"stderr: {out.stderr[-1500:]}")


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class ConfluentGroupsTest(unittest.TestCase):
    def setUp(self):
        self.d = Driver()
        self.addCleanup(self.d.close)

    def produce(self, topic, per_partition):
        errors = self.d(f"_ = produce_one_per_batch({topic!r}, {per_partition!r})")
        self.assertEqual(errors, [], f"producing to {topic}")

    def test_auto_commit_resumes_after_last_consumed(self):
        topic, group = unique("cf-auto"), unique("cf-auto-g")
        admin("PUT", f"/{topic}/partitions", "1")
        self.produce(topic, {0: [f"v{i}" for i in range(20)]})
        d = self.d
        got = d(f"""
            c = consumer({group!r}, enable_auto_commit=True, auto_commit_interval_ms=500)
            c.subscribe([{topic!r}])
            _ = poll_records(c, 12, 30)""")
        self.assertEqual(got, [[0, i, f"v{i}"] for i in range(12)])
        # The interval commit, not only the one on close: the committed offset reaches 12 while
        # the consumer is open and idle.
        committed = d(f"""
            deadline = time.monotonic() + 10
            while True:
                _ = tps(c.committed([TopicPartition({topic!r}, 0)], timeout=10))
                if _[0][2] == 12 or time.monotonic() > deadline:
                    break
                time.sleep(0.3)""")
        self.assertEqual(committed, [[topic, 0, 12, None, None]])
        d("c.close()")
        again = d(f"""
            c = consumer({group!r}, enable_auto_commit=True, auto_commit_interval_ms=500)
            c.subscribe([{topic!r}])
            _ = poll_records(c, 8, 30) + drain(c, 1.0, 10)""")
        d("c.close()")
        self.assertEqual(again, [[0, i, f"v{i}"] for i in range(12, 20)])

    def test_manual_commit_and_committed(self):
        topic, group = unique("cf-manual"), unique("cf-manual-g")
        admin("PUT", f"/{topic}/partitions", "2")
        self.produce(topic, {p: [f"p{p}-v{i}" for i in range(10)] for p in range(2)})
        d = self.d
        got = d(f"""
            c = consumer({group!r})
            c.subscribe([{topic!r}])
            _ = poll_records(c, 20, 30)""")
        self.assertEqual(sorted(got), sorted([p, i, f"p{p}-v{i}"] for p in range(2) for i in range(10)))
        result = d(f"""_ = tps(c.commit(offsets=[TopicPartition({topic!r}, 0, 7), TopicPartition({topic!r}, 1, 3)],
                                        asynchronous=False))""")
        self.assertEqual(sorted(r[:3] + r[4:] for r in result), [[topic, 0, 7, None], [topic, 1, 3, None]])
        committed = d(f"_ = tps(c.committed([TopicPartition({topic!r}, 0), TopicPartition({topic!r}, 1)], timeout=10))")
        self.assertEqual(sorted(r[:3] + r[4:] for r in committed), [[topic, 0, 7, None], [topic, 1, 3, None]])
        d("c.close()")
        again = d(f"""
            c = consumer({group!r})
            c.subscribe([{topic!r}])
            _ = poll_records(c, 10, 30) + drain(c, 1.0, 10)""")
        d("c.close()")
        self.assertEqual(sorted(again), sorted([[0, i, f"p0-v{i}"] for i in range(7, 10)] +
                                               [[1, i, f"p1-v{i}"] for i in range(3, 10)]))

    def test_commit_metadata_round_trips(self):
        topic, group = unique("cf-meta"), unique("cf-meta-g")
        admin("PUT", f"/{topic}/partitions", "1")
        self.produce(topic, {0: [f"v{i}" for i in range(5)]})
        d = self.d
        meta = "kop-e2e metadata \u00e9 " + SUFFIX
        d(f"""
            c = consumer({group!r})
            c.subscribe([{topic!r}])
            _ = poll_records(c, 5, 30)""")
        result = d(f"_ = tps(c.commit(offsets=[TopicPartition({topic!r}, 0, 4, {meta!r})], asynchronous=False))")
        self.assertEqual(result[0][4], None, result)
        committed = d(f"_ = tps(c.committed([TopicPartition({topic!r}, 0)], timeout=10))")
        self.assertEqual(committed, [[topic, 0, 4, meta, None]])
        # offsetMetadataMaxSize is 4096 by default: a longer string is refused per partition and
        # the earlier commit stays.
        too_large = d(f"""
            try:
                _ = tps(c.commit(offsets=[TopicPartition({topic!r}, 0, 5, "m" * 5000)], asynchronous=False))
            except KafkaException as e:
                _ = ["raised", e.args[0].name()]""")
        self.assertIn("OFFSET_METADATA_TOO_LARGE", json.dumps(too_large),
                      f"commit with 5000 bytes of metadata answered {too_large}")
        committed = d(f"_ = tps(c.committed([TopicPartition({topic!r}, 0)], timeout=10))")
        self.assertEqual(committed, [[topic, 0, 4, meta, None]])
        d("c.close()")

    def test_admin_client_sees_group(self):
        topic, group = unique("cf-admin"), unique("cf-admin-g")
        admin("PUT", f"/{topic}/partitions", "2")
        self.produce(topic, {p: [f"p{p}-v{i}" for i in range(6)] for p in range(2)})
        d = self.d
        assignment = d(f"""
            c = consumer({group!r}, client_id="kop-e2e-admin-member")
            c.subscribe([{topic!r}])
            _ = wait_assignment(c, 2, 30)""")
        self.assertEqual(assignment, [[topic, 0], [topic, 1]])
        d(f"c.commit(offsets=[TopicPartition({topic!r}, 0, 2), TopicPartition({topic!r}, 1, 5)], asynchronous=False)")
        d("a = admin()")
        offsets = d(f"""
            r = a.list_consumer_group_offsets([ConsumerGroupTopicPartitions({group!r})], request_timeout=15)
            res = r[{group!r}].result(timeout=20)
            _ = [res.group_id, tps(res.topic_partitions)]""")
        self.assertEqual(offsets[0], group)
        self.assertEqual(sorted(r[:3] for r in offsets[1]), [[topic, 0, 2], [topic, 1, 5]], offsets)
        self.assertEqual([r[4] for r in offsets[1]], [None, None], offsets)

        describe = """
            res = a.describe_consumer_groups([{g!r}], request_timeout=15)[{g!r}].result(timeout=20)
            _ = {{"group": res.group_id, "state": res.state.name, "simple": res.is_simple_consumer_group,
                  "assignor": res.partition_assignor, "coordinator": res.coordinator.id,
                  "members": [{{"client_id": m.client_id, "host": m.host, "member_id": m.member_id,
                               "assignment": sorted([tp.topic, tp.partition]
                                                    for tp in m.assignment.topic_partitions)}}
                              for m in res.members]}}"""
        # ListGroups asks every coordinator partition; those still loading (they load on first use)
        # answer COORDINATOR_LOAD_IN_PROGRESS, which librdkafka reports without retrying.
        listing = """
            deadline = time.monotonic() + 20
            while True:
                res = a.list_consumer_groups(request_timeout=15{extra}).result(timeout=20)
                if not any("COORDINATOR_LOAD_IN_PROGRESS" in str(e) for e in res.errors) or \\
                        time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            _ = {{"valid": [[g.group_id, g.state.name, g.is_simple_consumer_group] for g in res.valid],
                  "errors": [str(e) for e in res.errors]}}"""
        desc = d(describe.format(g=group))
        self.assertEqual((desc["group"], desc["state"], desc["simple"], desc["assignor"]),
                         (group, "STABLE", False, "range"), desc)
        self.assertEqual(len(desc["members"]), 1, desc)
        member = desc["members"][0]
        self.assertEqual(member["client_id"], "kop-e2e-admin-member", desc)
        self.assertEqual(member["assignment"], [[topic, 0], [topic, 1]], desc)
        self.assertTrue(member["member_id"].startswith("kop-e2e-admin-member-"), desc)
        stable_desc = desc  # its client_host is checked last
        listed = d(listing.format(extra=""))
        self.assertEqual(listed["errors"], [])
        self.assertIn([group, "STABLE", False], listed["valid"], listed)
        listed = d(listing.format(extra=", states={ConsumerGroupState.EMPTY}"))
        self.assertNotIn(group, [g[0] for g in listed["valid"]], listed)

        # A group with a member cannot be deleted.
        with self.assertRaises(DriverError) as cm:
            d(f"a.delete_consumer_groups([{group!r}], request_timeout=15)[{group!r}].result(timeout=20)")
        self.assertEqual(cm.exception.kafka_error, "NON_EMPTY_GROUP", str(cm.exception))

        d("c.close()")
        desc = d(describe.format(g=group))
        self.assertEqual((desc["state"], desc["members"]), ("EMPTY", []), desc)
        listed = d(listing.format(extra=", states={ConsumerGroupState.EMPTY}"))
        self.assertIn([group, "EMPTY", False], listed["valid"], listed)

        d(f"a.delete_consumer_groups([{group!r}], request_timeout=15)[{group!r}].result(timeout=20)")
        listed = d(listing.format(extra=""))
        self.assertNotIn(group, [g[0] for g in listed["valid"]], listed)
        desc = d(describe.format(g=group))
        self.assertEqual(desc["state"], "DEAD", desc)
        offsets = d(f"""
            r = a.list_consumer_group_offsets([ConsumerGroupTopicPartitions({group!r})], request_timeout=15)
            _ = tps(r[{group!r}].result(timeout=20).topic_partitions)""")
        self.assertEqual(offsets, [], "offsets left after DeleteGroups")
        self.assertIn("127.0.0.1", stable_desc["members"][0]["host"],
                      f"DescribeGroups (confluent describe_consumer_groups) member client_host: Kafka answers "
                      f"'/' + the member's address, here 127.0.0.1; got {member['host']!r}. {stable_desc}")


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class FirstBatchEarliestOffsetTest(unittest.TestCase):
    """A group member that joins before anything was produced (a fresh topic) resets to the earliest
    offset while the first batch may be in flight. ListOffsets earliest must answer 0 then, never
    the log end: a member that got the log end would skip the whole first batch (what the kcat -G
    test above saw as a partition missing all its records)."""

    TRIALS = 12

    def test_earliest_is_0_while_the_first_batch_is_appended(self):
        batch = kw.record_batch_v2([(b"k%d" % i, b"v%d" % i, []) for i in range(10)])
        wrong = []
        for trial in range(self.TRIALS):
            topic = unique("first-batch")
            admin("PUT", f"/{topic}/partitions", "1")
            start = threading.Barrier(4)
            answers, produced = [], []

            def ask():
                start.wait()
                for _ in range(3):
                    answers.append(list_offsets_v1(topic, 0, -2))

            def send():
                start.wait()
                produced.append(produce(topic, 0, batch))

            threads = [threading.Thread(target=ask) for _ in range(3)] + [threading.Thread(target=send)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            self.assertEqual([(r["error_code"], r["base_offset"]) for r in produced], [(0, 0)], produced)
            self.assertEqual(list_offsets_v1(topic, 0, -2), (0, 0), "earliest once the first Produce was answered")
            if any(a != (0, 0) for a in answers):
                wrong.append((topic, sorted(answers)))
        self.assertEqual(wrong, [], f"ListOffsets v1 earliest (timestamp -2), sent while the first Produce (10 records, "
                                   f"base offset 0) to a fresh partition was being appended, answered (error, offset) "
                                   f"other than (0, 0) in {len(wrong)} of {self.TRIALS} trials (answers per topic; "
                                   f"once the Produce was answered, earliest is 0)")


# --- raw classic group requests (non-flexible versions) ---------------------------------------

FIND_COORDINATOR, JOIN_GROUP, SYNC_GROUP, OFFSET_COMMIT, OFFSET_FETCH, LEAVE_GROUP = 10, 11, 14, 8, 9, 13
ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, COORDINATOR_LOAD_IN_PROGRESS = 22, 25, 14


def _s(v):
    b = v.encode()
    return struct.pack(">h", len(b)) + b


def _b(v):
    return struct.pack(">i", len(v)) + v


def _read_s(c):
    n = c.take(">h")
    if n < 0:
        return None
    v = c.data[c.off:c.off + n].decode()
    c.off += n
    return v


def _read_b(c):
    n = c.take(">i")
    v = c.data[c.off:c.off + max(n, 0)]
    c.off += max(n, 0)
    return v


class RawSession:
    def __init__(self):
        self.sock = kw.connect(timeout=30)
        self.cid = 100

    def call(self, key, version, body, timeout=30):
        self.cid += 1
        self.sock.sendall(kw.frame(kw.request_header_v1(key, version, self.cid) + body))
        resp = kw.read_frame(self.sock, timeout=timeout)
        if resp is None:
            raise AssertionError(f"broker closed the connection on api key {key} v{version}")
        c = kw._Cursor(resp)
        if c.take(">i") != self.cid:
            raise AssertionError("wrong correlation id")
        return c

    def join_v1(self, group, member_id, metadata=b"\x00\x00\x00\x00\x00\x00\x00\x00"):
        """JoinGroup v1 -> (error, generation, leader, member_id); retried while the coordinator
        partition loads."""
        body = _s(group) + struct.pack(">ii", 6000, 10000) + _s(member_id) + _s("consumer")
        body += struct.pack(">i", 1) + _s("range") + _b(metadata)
        for _ in range(50):
            c = self.call(JOIN_GROUP, 1, body)
            err, gen = c.take(">h"), c.take(">i")
            _read_s(c)
            leader, member = _read_s(c), _read_s(c)
            if err != COORDINATOR_LOAD_IN_PROGRESS:
                return err, gen, leader, member
            time.sleep(0.2)
        raise AssertionError("coordinator still loading")

    def sync_v0(self, group, generation, member_id, assignment=b""):
        body = _s(group) + struct.pack(">i", generation) + _s(member_id)
        body += struct.pack(">i", 1) + _s(member_id) + _b(assignment)
        c = self.call(SYNC_GROUP, 0, body)
        return c.take(">h")

    def commit_v2(self, group, generation, member_id, topic, partition, offset):
        body = _s(group) + struct.pack(">i", generation) + _s(member_id) + struct.pack(">q", -1)
        body += struct.pack(">i", 1) + _s(topic) + struct.pack(">i", 1)
        body += struct.pack(">iq", partition, offset) + _s("")
        c = self.call(OFFSET_COMMIT, 2, body)
        assert c.take(">i") == 1
        _read_s(c)
        assert c.take(">i") == 1
        return c.take(">i"), c.take(">h")

    def fetch_v1(self, group, topic, partition):
        body = _s(group) + struct.pack(">i", 1) + _s(topic) + struct.pack(">ii", 1, partition)
        c = self.call(OFFSET_FETCH, 1, body)
        assert c.take(">i") == 1
        _read_s(c)
        assert c.take(">i") == 1
        _p, offset = c.take(">i"), c.take(">q")
        _read_s(c)
        return offset, c.take(">h")

    def leave_v0(self, group, member_id):
        return self.call(LEAVE_GROUP, 0, _s(group) + _s(member_id)).take(">h")

    def close(self):
        self.sock.close()


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class StaleGenerationTest(unittest.TestCase):
    def test_commit_with_stale_generation_is_refused(self):
        topic, group = unique("raw-gen"), unique("raw-gen-g")
        admin("PUT", f"/{topic}/partitions", "1")
        s = RawSession()
        self.addCleanup(s.close)
        err, gen1, leader, member = s.join_v1(group, "")
        self.assertEqual((err, leader), (0, member), "JoinGroup v1 of a new member")
        self.assertEqual(s.sync_v0(group, gen1, member), 0)
        self.assertEqual(s.commit_v2(group, gen1, member, topic, 0, 3), (0, 0))
        # The leader rejoining a Stable group starts a new generation.
        err, gen2, _, member2 = s.join_v1(group, member)
        self.assertEqual((err, member2), (0, member))
        self.assertEqual(gen2, gen1 + 1)
        self.assertEqual(s.sync_v0(group, gen2, member), 0)
        self.assertEqual(s.commit_v2(group, gen1, member, topic, 0, 7), (0, ILLEGAL_GENERATION),
                         f"OffsetCommit v2 with generation {gen1} after the group moved to {gen2}")
        self.assertEqual(s.commit_v2(group, gen2, "no-such-member", topic, 0, 8), (0, UNKNOWN_MEMBER_ID))
        self.assertEqual(s.fetch_v1(group, topic, 0), (3, 0), "a refused commit changed the offset")
        self.assertEqual(s.commit_v2(group, gen2, member, topic, 0, 9), (0, 0))
        self.assertEqual(s.fetch_v1(group, topic, 0), (9, 0))
        self.assertEqual(s.leave_v0(group, member), 0)


if __name__ == "__main__":
    unittest.main()
