"""Consumer groups end to end with real clients (classic protocol) against the real broker.

- A mixed group: Java kafka-clients 4.4.0 (subscribe()), confluent-kafka (librdkafka) and franz-go
  (kgo.ConsumerGroup) in ONE group on a 6-partition topic. Members join one by one, more records
  arrive while they run, one leaves cleanly, one is SIGKILLed (the coordinator expires it after its
  session timeout) and a restarted member finishes. Every record is consumed at least once, and
  twice only if the killed member had consumed it after its last commit.
- Java's CooperativeStickyAssignor with two Java consumers (incremental rebalance).
- Static membership (group.instance.id): a restarted member gets its partitions back in the same
  generation, without a rebalance.
- The AdminClient's group API (kafka-clients 4.4.0 and 3.9.2), checked in E2eClient group-admin.
- kafka-consumer-groups (org.apache.kafka.tools.consumer.group.ConsumerGroupCommand, kafka-tools
  4.4.0): --list, --describe (LAG), --describe --members, --reset-offsets, --delete.

Each client prints JSON lines (tests/e2e/java E2eClient "group", tests/e2e/go "-mode group" and
CONFLUENT_MEMBER below): its assignments (rebalance callbacks), the records of each poll
[partition, offset, key] and each commit. Members commit every poll synchronously before the
next one (a commit the client refuses while it rejoins is retried after the next poll, or in the
revoke callback), so a member that is closed, or that gives up partitions in a rebalance, has
committed all it consumed. A missing tool (mvn, java, go, the confluent-kafka venv) skips unless
KOP_E2E_REQUIRE_ANSWERS=1, where it fails."""
import collections
import json
import os
import subprocess
import tempfile
import textwrap
import threading
import time
import unittest
import uuid

import kafka_wire as kw
import test_go_client as go_client
from test_confluent import PY as VENV_PY, ensure_venv
from test_java_clients import HAVE_TOOLS as HAVE_JAVA, JAVA_DIR, OUT as JAVA_OUT, classpath
from test_produce import HTTP_PORT, admin

BOOTSTRAP = f"{kw.HOST}:{kw.PORT}"
JAVA = "4.4.0"
TOOLS_VERSION = "4.4.0"
TOOLS_POM = os.path.join(JAVA_DIR, "tools", "pom.xml")
CONSUMER_GROUP_COMMAND = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
SESSION_MS = 6000


def _name(kind):
    return f"e2e-groups-{kind}-{uuid.uuid4().hex[:10]}"


def _need(condition, why):
    """Skips (or fails under KOP_E2E_REQUIRE_ANSWERS=1) when a tool is missing."""
    if not condition:
        if kw.REQUIRE_ANSWERS:
            raise AssertionError(f"{why} (KOP_E2E_REQUIRE_ANSWERS=1: a missing tool fails)")
        raise unittest.SkipTest(why)


def java_argv(*args, version=JAVA):
    _need(HAVE_JAVA, "mvn, java or javac not installed")
    cp, classes = classpath(version)
    return ["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classes + os.pathsep + cp,
            "E2eClient", BOOTSTRAP, *args]


def java_json(*args, version=JAVA, timeout=120):
    """Runs a one-shot E2eClient scenario; -> its JSON lines (raises with its FAIL line)."""
    out = subprocess.run(java_argv(*args, version=version), capture_output=True, text=True, timeout=timeout)
    lines = out.stdout.splitlines()
    if out.returncode != 0:
        fail = [ln for ln in lines if ln.startswith("FAIL")]
        raise AssertionError(f"E2eClient {' '.join(args)} exited {out.returncode}: "
                             f"{fail[-1] if fail else out.stderr[-2000:]}")
    return [json.loads(ln) for ln in lines if ln.startswith("{")]


def describe_group(group):
    """The Java AdminClient's describeConsumerGroups + listConsumerGroupOffsets of a group."""
    return [e for e in java_json("describe-group", group) if e["event"] == "group"][0]


def go_argv(*args):
    try:
        go_client.build()
    except go_client.GoUnavailable as e:
        _need(False, str(e))
    return [go_client.BINARY, "-bootstrap", BOOTSTRAP, "-n", "1", "-timeout", "170s", "-mode", "group", *args]


# A confluent-kafka group member, run in build/e2e-venv; the same JSON lines and commands as the
# Java and Go members (a commit refused with REBALANCE_IN_PROGRESS is retried after the next
# consume, or in on_revoke). confluent-kafka exposes no generation: its lines have none.
CONFLUENT_MEMBER = textwrap.dedent("""
    import json, sys, threading, time
    from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
    bootstrap, topic, group, client_id, rate, session_ms = sys.argv[1:7]
    state = {"close": False, "nocommit": False, "rate": float(rate)}
    lock = threading.Lock()
    def emit(d):
        with lock:
            sys.stdout.write(json.dumps(d) + "\\n")
            sys.stdout.flush()
    def commands():
        for line in sys.stdin:
            cmd = line.strip()
            if cmd == "close":
                state["close"] = True
            elif cmd == "nocommit":
                state["nocommit"] = True
            elif cmd == "fast":
                state["rate"] = 0
            emit({"event": "command", "command": cmd})
    threading.Thread(target=commands, daemon=True).start()
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": client_id,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "session.timeout.ms": int(session_ms), "heartbeat.interval.ms": 1000,
                  "max.poll.interval.ms": 20000})
    pending = {}  # partition -> next offset, consumed and not committed yet
    def commit(offsets, retry):  # -> whether the offsets are done with (committed, or failed for good)
        try:
            res = c.commit(offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()], asynchronous=False)
            errs = [tp.error for tp in res if tp.error]
        except KafkaException as e:
            errs = [e.args[0]]
        shown = {str(p): o for p, o in offsets.items()}
        if not errs:
            emit({"event": "committed", "offsets": shown})
            return True
        rebalancing = all(e.code() == KafkaError.REBALANCE_IN_PROGRESS for e in errs)
        emit({"event": "commit_retry" if retry and rebalancing else "commit_failed", "offsets": shown,
              "error": [str(e) for e in errs]})
        return not (retry and rebalancing)
    def report(event):
        def cb(consumer, parts):
            emit({"event": event, "partitions": sorted(p.partition for p in parts), "member": consumer.memberid()})
            mine = {p.partition: pending.pop(p.partition) for p in parts if p.partition in pending}
            if event == "revoked" and mine and not state["nocommit"]:
                commit(mine, False)
        return cb
    c.subscribe([topic], on_assign=report("assigned"), on_revoke=report("revoked"), on_lost=report("lost"))
    emit({"event": "started", "client": "confluent-kafka"})
    deadline = time.monotonic() + 170
    while not state["close"] and time.monotonic() < deadline:
        msgs = c.consume(num_messages=20, timeout=0.2)
        recs = []
        for m in msgs:
            if m.error():
                emit({"event": "consume_error", "error": str(m.error())})
                continue
            recs.append([m.partition(), m.offset(), m.key().decode()])
            pending[m.partition()] = m.offset() + 1
        if recs:
            emit({"event": "records", "records": recs})
        if pending and not state["nocommit"] and commit(dict(pending), True):
            pending.clear()
        if recs and state["rate"] > 0:
            time.sleep(len(recs) / state["rate"])
    if pending and not state["nocommit"]:
        commit(dict(pending), False)
    c.close()
    emit({"event": "closed"})
""")

# confluent-kafka producer: keyed records PREFIX-i (i in [start, start+n)) by librdkafka's default
# partitioner; prints the delivery reports as one JSON line.
CONFLUENT_PRODUCER = textwrap.dedent("""
    import json, sys
    from confluent_kafka import Producer
    bootstrap, topic, prefix, start, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    recs, errors = [], []
    def done(err, msg):
        if err:
            errors.append(str(err))
        else:
            recs.append([msg.partition(), msg.offset(), msg.key().decode()])
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all", "message.timeout.ms": 60000})
    for i in range(start, start + n):
        k = f"{prefix}-{i}"
        p.produce(topic, key=k.encode(), value=b"value-" + k.encode(), on_delivery=done)
        p.poll(0)
    left = p.flush(90)
    print(json.dumps({"records": recs, "errors": errors[:10], "left": left}))
""")


def confluent_produce(topic, prefix, start, n):
    """-> [(partition, offset, key)] of n records acknowledged by the broker."""
    out = subprocess.run([VENV_PY, "-c", CONFLUENT_PRODUCER, BOOTSTRAP, topic, prefix, str(start), str(n)],
                         capture_output=True, text=True, timeout=180)
    if out.returncode != 0:
        raise AssertionError(f"confluent-kafka producer exited {out.returncode}: {out.stderr[-2000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["errors"] or res["left"] or len(res["records"]) != n:
        raise AssertionError(f"producing {n} records: {len(res['records'])} acknowledged, {res['left']} left, "
                             f"errors {res['errors']}")
    return [tuple(r) for r in res["records"]]


def java_produce(topic, prefix, n, partition=None):
    args = ["produce-keyed", topic, str(n), prefix] + ([str(partition)] if partition is not None else [])
    ev = [e for e in java_json(*args) if e["event"] == "produced"][0]
    if ev["errors"] or len(ev["records"]) != n:
        raise AssertionError(f"Java producer: {len(ev['records'])} of {n} acknowledged, errors {ev['errors']}")
    return [tuple(r) for r in ev["records"]]


class Member:
    """A group member process: its JSON lines are collected as they come (each with "t", the
    monotonic time it was read); commands go to its standard input."""

    def __init__(self, name, argv):
        self.name = name
        self.events = []
        self.eof = False
        self.cond = threading.Condition()
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                     text=True, bufsize=1)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            try:
                ev = json.loads(line) if line.startswith("{") else {"event": "text", "line": line}
            except ValueError:
                ev = {"event": "garbage", "line": line}
            ev["t"] = time.monotonic()
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def snapshot(self):
        with self.cond:
            return list(self.events)

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def stderr_tail(self, n=1500):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")[-n:]

    def describe(self):
        evs = self.snapshot()
        kinds = collections.Counter(e["event"] for e in evs)
        texts = [e["line"] for e in evs if e["event"] in ("text", "garbage")][-3:]
        return (f"{self.name}: exit {self.proc.poll()}, events {dict(kinds)}, assignment {self.assignment()}, "
                f"text {texts}, stderr {self.stderr_tail(600)!r}")

    def records(self):
        return [tuple(r) for e in self.snapshot() if e["event"] == "records" for r in e["records"]]

    def assignment(self, events=None):
        """The partitions the member owns after its callbacks so far."""
        owned = set()
        for e in events if events is not None else self.snapshot():
            if e["event"] == "assigned":
                owned = set(e["assignment"]) if "assignment" in e else owned | set(e["partitions"])
            elif e["event"] in ("revoked", "lost"):
                owned -= set(e["partitions"])
        return owned

    def last(self, kind):
        evs = [e for e in self.snapshot() if e["event"] == kind]
        return evs[-1] if evs else None

    def close(self, timeout=60):
        """Sends "close" and waits for the process; -> its exit code."""
        if self.proc.poll() is None:
            try:
                self.send("close")
            except (BrokenPipeError, OSError):
                pass
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"{self.name} did not exit within {timeout} s of 'close': {self.describe()}")
        self.reader.join(10)
        return code

    def kill(self):
        """SIGKILL: no LeaveGroup, no last commit."""
        self.proc.kill()
        self.proc.wait(10)
        self.reader.join(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.reader.join(10)
        for f in (self.proc.stdin, self.proc.stdout, self.stderr):
            try:
                f.close()
            except OSError:
                pass


def wait_until(what, predicate, timeout, describe=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; {describe()}")


def balanced(members, partitions, each):
    """True when the members' current assignments are disjoint, cover all partitions and have
    `each` partitions apiece."""
    sets = [m.assignment() for m in members]
    union = set().union(*sets)
    return (all(len(s) == each for s in sets) and union == set(range(partitions))
            and sum(len(s) for s in sets) == partitions)


def commits(member):
    """[(time, {partition: next offset})] of the member's successful commits."""
    return [(e["t"], {int(p): o for p, o in e["offsets"].items()}) for e in member.snapshot()
            if e["event"] == "committed"]


def commit_failures(members):
    return {m.name: [e for e in m.snapshot() if e["event"] == "commit_failed"][:3] for m in members
            if any(e["event"] == "commit_failed" for e in m.snapshot())}


def mirror_backlogs(topic, partitions, group):
    """The subscription mirror: {partition: msgBacklog of the Pulsar subscription named after the
    group (entries not yet below its mark-delete), or None when there is none}."""
    out = {}
    for p in range(partitions):
        sub = admin("GET", f"/{topic}-partition-{p}/stats")["subscriptions"].get(group)
        out[p] = None if sub is None else sub["msgBacklog"]
    return out


def entry_counts(topic, partitions):
    return {p: admin("GET", f"/{topic}-partition-{p}/internalStats")["numberOfEntries"] for p in range(partitions)}


def wait_mirror(what, topic, partitions, group, expected, timeout=15):
    """Waits until mirror_backlogs() is `expected`; -> the last value seen."""
    seen = {}

    def check():
        seen["v"] = mirror_backlogs(topic, partitions, group)
        return seen["v"] == expected
    try:
        wait_until(what, check, timeout)
    except AssertionError:
        raise AssertionError(f"subscription mirror ({what}): Pulsar subscription '{group}' backlogs per partition "
                             f"{seen.get('v')}, expected {expected} (None = no subscription)") from None
    return seen["v"]


class GroupTestBase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.members = []

    def tearDown(self):
        for m in self.members:
            m.stop()

    def start(self, name, argv):
        m = Member(name, argv)
        self.members.append(m)
        return m

    def java_member(self, name, topic, group, *props):
        return self.start(name, java_argv("group", topic, group, f"client.id={name}", *props))

    def state(self):
        return " | ".join(m.describe() for m in self.members)


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class MixedGroupTest(GroupTestBase):
    """Java 4.4.0, confluent-kafka and franz-go in one group."""

    PARTITIONS = 6
    PREFILL = 3000
    MORE = 1500
    RATE = 50  # records/s per member until the final drain

    def test_mixed_group_join_leave_kill_restart(self):
        ensure_venv()
        go = go_argv()  # builds (or skips) before anything starts
        started = time.monotonic()
        topic, group = _name("mixed"), _name("mixed-g")
        admin("PUT", f"/{topic}/partitions", str(self.PARTITIONS))
        produced = confluent_produce(topic, "k", 0, self.PREFILL)

        def java_a():
            return self.java_member("java-a", topic, group, f"x.rate={self.RATE}", f"session.timeout.ms={SESSION_MS}")

        def confluent(name):
            return self.start(name, [VENV_PY, "-c", CONFLUENT_MEMBER, BOOTSTRAP, topic, group, name,
                                     str(self.RATE), str(SESSION_MS)])

        a = java_a()
        wait_until("java-a to own all 6 partitions and consume", lambda: len(a.assignment()) == 6 and a.records(),
                   60, self.state)
        b = confluent("confluent-b")
        wait_until("java-a and confluent-b at 3 partitions each", lambda: balanced([a, b], 6, 3), 60, self.state)
        c = self.start("franz-go-c", go + ["-topic", topic, "-group", group, "-client-id", "franz-go-c",
                                           "-balancer", "range", "-session-timeout", f"{SESSION_MS}ms",
                                           "-rate", str(self.RATE)])
        wait_until("2/2/2 across java-a, confluent-b and franz-go-c", lambda: balanced([a, b, c], 6, 2), 60,
                   self.state)
        three = {m.name: sorted(m.assignment()) for m in (a, b, c)}
        gen_a, gen_c = a.last("assigned")["generation"], c.last("assigned")["generation"]
        self.assertEqual(gen_a, gen_c, f"java-a and franz-go-c were assigned in different generations: {three}")
        desc = describe_group(group)
        self.assertEqual(desc["state"], "STABLE", desc)
        self.assertEqual(desc["assignor"], "range", f"protocol chosen for the mixed group: {desc}")
        self.assertEqual({m["client"]: m["partitions"] for m in desc["members"]}, three,
                         f"DescribeGroups' assignment differs from the clients' callbacks: {desc}")
        self.assertEqual({m["client"]: m["id"] for m in desc["members"]},
                         {"java-a": a.last("assigned")["member"], "confluent-b": b.last("assigned")["member"],
                          "franz-go-c": c.last("assigned")["member"]}, "member ids: DescribeGroups vs clients")

        # More records while all three consume.
        produced += confluent_produce(topic, "k", self.PREFILL, self.MORE)

        # B leaves cleanly: A and C split the partitions.
        self.assertEqual(b.close(), 0, b.describe())
        self.assertTrue(b.last("closed"), b.describe())
        wait_until("java-a and franz-go-c at 3 partitions each after confluent-b left",
                   lambda: balanced([a, c], 6, 3), 60, self.state)

        # C stops committing, consumes a little more and is SIGKILLed.
        c.send("nocommit")
        wait_until("franz-go-c to consume after 'nocommit'",
                   lambda: sum(len(e["records"]) for e in c.snapshot()
                               if e["event"] == "records" and e["t"] > c.last("command")["t"]) >= 20
                   if c.last("command") else False, 30, self.state)
        c_owned = c.assignment()
        c.kill()
        killed = time.monotonic()
        expired = wait_until("java-a to own all 6 partitions once franz-go-c's session expired",
                             lambda: a.assignment() == set(range(6)), SESSION_MS / 1000 + 20, self.state)
        self.assertLessEqual(expired - killed, SESSION_MS / 1000 + 15,
                             f"franz-go-c (session {SESSION_MS} ms) was expired after {expired - killed:.1f} s")

        # B comes back (a new member), then everything is drained.
        b2 = confluent("confluent-b2")
        wait_until("java-a and confluent-b2 at 3 partitions each", lambda: balanced([a, b2], 6, 3), 60, self.state)
        desc = describe_group(group)
        self.assertEqual(sorted(m["client"] for m in desc["members"]), ["confluent-b2", "java-a"],
                         f"members after franz-go-c was killed and confluent-b2 joined: {desc}")
        a.send("fast")
        b2.send("fast")
        want = {(p, o) for p, o, _ in produced}
        members = (a, b, c, b2)
        wait_until(f"all {len(want)} records consumed",
                   lambda: want <= {(p, o) for m in members for p, o, _ in m.records()}, 90, self.state)
        # Let the last commits land, then close.
        time.sleep(0.5)
        self.assertEqual(a.close(), 0, a.describe())
        self.assertEqual(b2.close(), 0, b2.describe())

        # Records: every produced record consumed, keys as produced, nothing else.
        key_of = {(p, o): k for p, o, k in produced}
        seen = collections.Counter()
        for m in members:
            for p, o, k in m.records():
                self.assertEqual(key_of.get((p, o)), k, f"{m.name} consumed {p}/{o} with key {k}")
                seen[(p, o)] += 1
        self.assertEqual(want - set(seen), set(), "records never consumed")

        # Commits: no member's commit failed.
        self.assertEqual(commit_failures(members), {}, "OffsetCommit failed")

        # Duplicates: exactly the records franz-go-c consumed after its last commit of each
        # partition (at-least-once after a SIGKILL), each consumed once more by a survivor.
        last_commit = {}
        for _, offs in commits(c):
            last_commit.update(offs)
        c_uncommitted = {(p, o) for p, o, _ in c.records() if o >= last_commit.get(p, -1)}
        self.assertTrue(c_uncommitted, "franz-go-c consumed nothing after 'nocommit': the kill tested nothing")
        self.assertTrue({p for p, _ in c_uncommitted} <= c_owned, (c_uncommitted, c_owned))
        dups = {r: n for r, n in seen.items() if n > 1}
        self.assertEqual(set(dups), c_uncommitted,
                         f"records consumed more than once ({len(dups)}) vs franz-go-c's uncommitted records "
                         f"({len(c_uncommitted)}): extra duplicates {sorted(set(dups) - c_uncommitted)[:10]}, "
                         f"not redelivered {sorted(c_uncommitted - set(dups))[:10]}")
        self.assertEqual(set(dups.values()), {2}, f"consumed more than twice: {dups}")
        for m in (a, b, b2):
            own = collections.Counter((p, o) for p, o, _ in m.records())
            self.assertEqual({r for r, n in own.items() if n > 1}, set(), f"{m.name} consumed records twice")

        # The group's committed offsets are the end of every partition; the group is Empty.
        ends = collections.Counter(p for p, _, _ in produced)
        desc = describe_group(group)
        self.assertEqual(desc["state"], "EMPTY", desc)
        self.assertEqual({int(p): o for p, o in desc["offsets"].items()}, dict(ends),
                         "committed offsets after everything was consumed")
        # The commits are mirrored into a durable Pulsar subscription named after the group, with
        # nothing left in its backlog.
        wait_mirror("all consumed and committed", topic, self.PARTITIONS, group, {p: 0 for p in range(6)})
        print(f"\n  {len(produced)} records, {sum(seen.values())} consumed ({len(dups)} redelivered after the "
              f"SIGKILL); 2/2/2 assignment {three} in generation {gen_a}; expiry after {expired - killed:.1f} s; "
              f"{time.monotonic() - started:.1f} s", end=" ", flush=True)


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class CooperativeStickyTest(GroupTestBase):
    def test_java_cooperative_sticky(self):
        topic, group = _name("coop"), _name("coop-g")
        admin("PUT", f"/{topic}/partitions", "4")
        produced = java_produce(topic, "c", 800)
        props = ("partition.assignment.strategy=org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
                 "x.rate=100")
        j1 = self.java_member("java-1", topic, group, *props)
        wait_until("java-1 to own all 4 partitions", lambda: j1.assignment() == {0, 1, 2, 3} and j1.records(), 60,
                   self.state)
        joined = len(j1.snapshot())
        j2 = self.java_member("java-2", topic, group, *props)
        wait_until("java-1 and java-2 at 2 partitions each", lambda: balanced([j1, j2], 4, 2), 60, self.state)
        desc = describe_group(group)
        self.assertEqual(desc["assignor"], "cooperative-sticky", desc)
        self.assertEqual(desc["state"], "STABLE", desc)
        kept, moved = j1.assignment(), j2.assignment()
        # Incremental: java-1 gave up exactly what java-2 got and kept the rest throughout.
        revoked = [set(e["partitions"]) for e in j1.snapshot()[joined:] if e["event"] in ("revoked", "lost")]
        self.assertEqual(revoked, [moved], f"java-1's revocations after java-2 joined (it kept {kept})")
        j1_events = [e for e in j1.snapshot() if e["event"] == "assigned"]
        self.assertTrue(all(kept <= set(e["assignment"]) for e in j1_events[1:]), j1_events)
        j1.send("fast")
        j2.send("fast")
        want = {(p, o) for p, o, _ in produced}
        wait_until("all records consumed", lambda: want <= set((p, o) for m in (j1, j2) for p, o, _ in m.records()),
                   60, self.state)
        time.sleep(0.3)
        self.assertEqual(j1.close(), 0, j1.describe())
        self.assertEqual(j2.close(), 0, j2.describe())
        got = collections.Counter((p, o) for m in (j1, j2) for p, o, _ in m.records())
        self.assertEqual(set(got), want)
        self.assertEqual({r: n for r, n in got.items() if n > 1}, {}, "records consumed twice")
        self.assertEqual(commit_failures([j1, j2]), {}, "OffsetCommit failed")
        self.assertEqual({int(p): o for p, o in describe_group(group)["offsets"].items()},
                         dict(collections.Counter(p for p, _, _ in produced)), "committed offsets at the end")


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class StaticMembershipTest(GroupTestBase):
    def test_java_static_member_restart_keeps_partitions_and_generation(self):
        topic, group = _name("static"), _name("static-g")
        admin("PUT", f"/{topic}/partitions", "4")
        produced = java_produce(topic, "s", 1000)
        props = ("session.timeout.ms=30000", "x.rate=40")
        s1 = self.java_member("static-1", topic, group, "group.instance.id=instance-1", *props)
        wait_until("static-1 to own all 4 partitions", lambda: s1.assignment() == {0, 1, 2, 3}, 60, self.state)
        s2 = self.java_member("static-2", topic, group, "group.instance.id=instance-2", *props)
        wait_until("static-1 and static-2 at 2 partitions each", lambda: balanced([s1, s2], 4, 2), 60, self.state)
        before = s1.last("assigned")
        s2_before = len(s2.snapshot())
        gen = before["generation"]
        self.assertEqual(s2.last("assigned")["generation"], gen)
        wait_until("static-1 to commit", lambda: commits(s1), 30, self.state)

        # close() of a static member sends no LeaveGroup: the group keeps it.
        self.assertEqual(s1.close(), 0, s1.describe())
        desc = describe_group(group)
        self.assertEqual(sorted(m["instance"] for m in desc["members"]), ["instance-1", "instance-2"],
                         f"members after static-1 closed (a static member stays until its session expires): {desc}")
        self.assertEqual(desc["state"], "STABLE", desc)

        s1b = self.java_member("static-1", topic, group, "group.instance.id=instance-1", *props)
        wait_until("the restarted static-1 to be assigned", lambda: s1b.last("assigned"), 60, self.state)
        after = s1b.last("assigned")
        self.assertEqual(set(after["assignment"]), set(before["assignment"]),
                         "partitions of the restarted static member")
        self.assertEqual(after["generation"], gen,
                         "the restarted static member's generation: a rejoin within the session must not rebalance")
        self.assertNotEqual(after["member"], before["member"], "the restarted static member kept its member id")
        desc = describe_group(group)
        self.assertEqual({m["instance"]: (m["id"], m["partitions"]) for m in desc["members"]},
                         {"instance-1": (after["member"], sorted(before["assignment"])),
                          "instance-2": (s2.last("assigned")["member"], sorted(s2.assignment()))},
                         f"DescribeGroups after the static rejoin: {desc}")
        s1b.send("fast")
        s2.send("fast")
        want = {(p, o) for p, o, _ in produced}
        wait_until("all records consumed",
                   lambda: want <= set((p, o) for m in (s1, s1b, s2) for p, o, _ in m.records()), 60, self.state)
        time.sleep(0.3)
        rebalances = [e for e in s2.snapshot()[s2_before:] if e["event"] in ("assigned", "revoked", "lost")]
        self.assertEqual(rebalances, [], "static-2 saw a rebalance when static-1 restarted")
        self.assertEqual({e.get("generation") for e in s2.snapshot() if e["event"] == "committed"}, {gen},
                         "generations of static-2's commits")
        self.assertEqual(s1b.close(), 0, s1b.describe())
        self.assertEqual(s2.close(), 0, s2.describe())
        got = collections.Counter((p, o) for m in (s1, s1b, s2) for p, o, _ in m.records())
        self.assertEqual(set(got), want)
        self.assertEqual({r: n for r, n in got.items() if n > 1}, {},
                         "records consumed twice: the restarted static member did not resume at its commits")
        self.assertEqual(commit_failures([s1, s1b, s2]), {}, "OffsetCommit failed")


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class AdminGroupsTest(unittest.TestCase):
    pass


def _admin_test(version):
    def test(self):
        topic, group = _name("admin"), _name("admin-g")
        try:
            java_json("group-admin", topic, group, version=version, timeout=180)
            failed = None
        except AssertionError as e:
            failed = e
        if failed is None or "(every step ran)" in str(failed):
            with self.subTest("subscription mirror"):
                # deleteConsumerGroups removed the group's Pulsar subscriptions too.
                wait_mirror("after deleteConsumerGroups", topic, 3, group, {0: None, 1: None, 2: None})
        if failed:
            raise failed
    test.__doc__ = (f"kafka-clients {version} AdminClient: list (state filters), describe, list/alter/delete "
                    "offsets, delete groups (NON_EMPTY, success, GroupIdNotFound)")
    return test


for _v in ("4.4.0", "3.9.2"):
    setattr(AdminGroupsTest, f"test_admin_v{_v.replace('.', '_')}", _admin_test(_v))


_tools = {}


def tools_classpath():
    """kafka-tools' classpath, resolved once with Maven into ~/.m2 (offline first)."""
    if "cp" in _tools:
        return _tools["cp"]
    _need(HAVE_JAVA, "mvn, java or javac not installed")
    os.makedirs(JAVA_OUT, exist_ok=True)
    cp_file = os.path.join(JAVA_OUT, f"cp-tools-{TOOLS_VERSION}.txt")
    if not os.path.exists(cp_file):
        base = ["mvn", "-q", "-B", "-f", TOOLS_POM, f"-Dkafka.version={TOOLS_VERSION}", "dependency:build-classpath",
                f"-Dmdep.outputFile={cp_file}"]
        if subprocess.run(base[:1] + ["-o"] + base[1:], capture_output=True, text=True, timeout=300).returncode:
            online = subprocess.run(base, capture_output=True, text=True, timeout=900)
            if online.returncode != 0:
                raise AssertionError(f"mvn could not resolve kafka-tools {TOOLS_VERSION}: {online.stdout[-2000:]}")
    with open(cp_file) as f:
        _tools["cp"] = f.read().strip()
    return _tools["cp"]


def consumer_groups(*args):
    """Runs kafka-consumer-groups; -> (exit code, stdout, stderr)."""
    out = subprocess.run(["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", tools_classpath(),
                          CONSUMER_GROUP_COMMAND, "--bootstrap-server", BOOTSTRAP, *args],
                         capture_output=True, text=True, timeout=120)
    return out.returncode, out.stdout, out.stderr


def table(stdout, first_column):
    """The rows of a kafka-consumer-groups table as dicts by header."""
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    rows, header = [], None
    for ln in lines:
        cols = ln.split()
        if cols and cols[0] == first_column:
            header = cols
        elif header and len(cols) == len(header):
            rows.append(dict(zip(header, cols)))
    return rows


@unittest.skipUnless(HTTP_PORT, "KOP_E2E_HTTP_PORT not set")
class ConsumerGroupCommandTest(GroupTestBase):
    def run_tool(self, *args):
        code, out, err = consumer_groups(*args)
        self.assertEqual(code, 0, f"kafka-consumer-groups {' '.join(args)} exited {code}: {out[-1500:]} {err[-1500:]}")
        return out + "\n" + err  # some messages go to stderr

    def test_kafka_consumer_groups(self):
        tools_classpath()
        topic, group = _name("tool"), _name("tool-g")
        admin("PUT", f"/{topic}/partitions", "2")
        produced = java_produce(topic, "t", 40)
        ends = collections.Counter(p for p, _, _ in produced)
        self.assertEqual(set(ends), {0, 1}, f"the 40 keyed records all went to one partition: {ends}")
        m = self.java_member("tool-member", topic, group)
        wait_until("the member to consume and commit all 40 records",
                   lambda: commits(m) and {p: o for _, offs in commits(m) for p, o in offs.items()} == dict(ends),
                   60, self.state)

        wait_mirror("all 40 committed", topic, 2, group, {0: 0, 1: 0})
        out = self.run_tool("--list")
        self.assertIn(group, out.split(), "--list")
        out = self.run_tool("--describe", "--members", "--group", group)
        rows = table(out, "GROUP")
        self.assertEqual(len(rows), 1, f"--describe --members: {out}")
        self.assertEqual((rows[0]["CONSUMER-ID"], rows[0]["CLIENT-ID"], rows[0]["#PARTITIONS"]),
                         (m.last("assigned")["member"], "tool-member", "2"), out)
        with self.subTest("HOST column"):  # the rest goes on if this fails
            self.assertEqual(rows[0]["HOST"], "/127.0.0.1",
                             f"--describe --members HOST column (DescribeGroups members[].client_host; Kafka "
                             f"reports '/' + the client's address): {out}")

        self.assertEqual(m.close(), 0, m.describe())
        java_produce(topic, "t-late", 5, partition=0)
        out = self.run_tool("--describe", "--group", group)
        self.assertIn(f"Consumer group '{group}' has no active members.", out)
        rows = {int(r["PARTITION"]): r for r in table(out, "GROUP") if r["TOPIC"] == topic}
        self.assertEqual({p: (r["CURRENT-OFFSET"], r["LOG-END-OFFSET"], r["LAG"]) for p, r in rows.items()},
                         {0: (str(ends[0]), str(ends[0] + 5), "5"), 1: (str(ends[1]), str(ends[1]), "0")},
                         f"--describe: {out}")

        out = self.run_tool("--reset-offsets", "--to-earliest", "--execute", "--group", group, "--topic", topic)
        rows = {int(r["PARTITION"]): r["NEW-OFFSET"] for r in table(out, "GROUP")}
        self.assertEqual(rows, {0: "0", 1: "0"}, f"--reset-offsets --to-earliest: {out}")
        out = self.run_tool("--describe", "--group", group)
        rows = {int(r["PARTITION"]): r for r in table(out, "GROUP") if r["TOPIC"] == topic}
        self.assertEqual({p: (r["CURRENT-OFFSET"], r["LAG"]) for p, r in rows.items()},
                         {0: ("0", str(ends[0] + 5)), 1: ("0", str(ends[1]))}, f"--describe after the reset: {out}")
        # The mirror moved back: every entry is in the subscription's backlog again.
        wait_mirror("reset to earliest", topic, 2, group, entry_counts(topic, 2))

        out = self.run_tool("--delete", "--group", group)
        self.assertIn(f"Deletion of requested consumer groups ('{group}') was successful.", out)
        out = self.run_tool("--list")
        self.assertNotIn(group, out.split(), "--list after --delete")
        wait_mirror("after --delete", topic, 2, group, {0: None, 1: None})
        code, out, err = consumer_groups("--describe", "--group", group)
        # DescribeGroups v6 answers GROUP_ID_NOT_FOUND for it (KIP-1043), which the tool reports.
        self.assertIn(f"GroupIdNotFoundException: group {group} not found", out + err,
                      f"--describe of the deleted group (exit {code})")


if __name__ == "__main__":
    unittest.main()
