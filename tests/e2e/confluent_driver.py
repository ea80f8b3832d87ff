"""A confluent-kafka session in a build/e2e-venv subprocess that the tests drive step by step, so
a consumer can stay in its group while a test looks at the broker from outside (Pulsar's admin
API, a second client). Each step is Python code run in one namespace kept across steps; its
value is the JSON-able `_` it sets. Errors come back as DriverError with the exception's type
name and, for a KafkaException, the KafkaError's name (e.g. ILLEGAL_GENERATION)."""
import json
import os
import select
import subprocess
import tempfile
import textwrap
import time

import kafka_wire as kw
from test_confluent import PY, ensure_venv

BOOTSTRAP = f"{kw.HOST}:{kw.PORT}"

_SERVER = textwrap.dedent("""
    import json, sys, time, traceback
    from confluent_kafka import (Consumer, KafkaError, KafkaException, Producer, TopicPartition,
                                 ConsumerGroupTopicPartitions, ConsumerGroupState, OFFSET_BEGINNING, OFFSET_INVALID)
    from confluent_kafka.admin import AdminClient

    BOOTSTRAP = sys.argv[1]
    def consumer(group, **extra):
        conf = {"bootstrap.servers": BOOTSTRAP, "group.id": group, "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000, "heartbeat.interval.ms": 500, "enable.auto.commit": False}
        conf.update({k.replace("_", "."): v for k, v in extra.items()})
        return Consumer(conf)
    def admin():
        return AdminClient({"bootstrap.servers": BOOTSTRAP})
    def produce_one_per_batch(topic, per_partition):
        # linger.ms=0 and a flush after each record: one produce batch, so one Pulsar entry,
        # per Kafka record.
        p = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 0, "message.timeout.ms": 30000})
        errors = []
        for partition, values in per_partition.items():
            for v in values:
                p.produce(topic, value=v.encode(), partition=int(partition),
                          on_delivery=lambda err, m: err and errors.append(str(err)))
                if p.flush(30) != 0:
                    errors.append("flush left records")
        return errors
    def poll_records(c, n, timeout):
        # Up to n records within timeout seconds: [[partition, offset, value], ...].
        got, deadline = [], time.monotonic() + timeout
        while len(got) < n and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(m.error())
            got.append([m.partition(), m.offset(), m.value().decode()])
        return got
    def drain(c, quiet, timeout):
        # Records until none came for `quiet` seconds (or timeout): [[partition, offset, value], ...].
        got, deadline, last = [], time.monotonic() + timeout, time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last < quiet:
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(m.error())
            got.append([m.partition(), m.offset(), m.value().decode()])
            last = time.monotonic()
        return got
    def wait_assignment(c, n, timeout):
        deadline = time.monotonic() + timeout
        while len(c.assignment()) < n and time.monotonic() < deadline:
            c.poll(0.2)
        return sorted([tp.topic, tp.partition] for tp in c.assignment())
    def tps(offsets):
        return [[tp.topic, tp.partition, tp.offset, tp.metadata,
                 tp.error.name() if tp.error else None] for tp in offsets]

    ns = dict(globals())
    for line in sys.stdin:
        req = json.loads(line)
        ns["_"] = None
        try:
            exec(req, ns)
            out = {"value": ns["_"]}
        except KafkaException as e:
            err = e.args[0] if e.args else None
            out = {"error": "KafkaException", "kafka_error": err.name() if isinstance(err, KafkaError) else None,
                   "message": str(e)}
        except Exception as e:
            out = {"error": type(e).__name__, "kafka_error": None, "message": str(e) + traceback.format_exc()}
        print(json.dumps(out, default=str), flush=True)
    for v in list(ns.values()):  # consumers a failed test left open leave their groups
        if isinstance(v, Consumer):
            try:
                v.close()
            except Exception:
                pass
""")


class DriverError(AssertionError):
    def __init__(self, reply, code):
        super().__init__(f"{reply['error']} ({reply['kafka_error']}) running {code!r}: {reply['message'][-2000:]}")
        self.kind = reply["error"]
        self.kafka_error = reply["kafka_error"]


class Driver:
    def __init__(self):
        ensure_venv()
        self.stderr = tempfile.TemporaryFile(mode="w+")  # librdkafka's log; a pipe could fill up
        self.proc = subprocess.Popen([PY, "-c", _SERVER, BOOTSTRAP], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True, bufsize=1)

    def __call__(self, code, timeout=60):
        """Runs `code` (dedented) in the session; returns the value it left in `_`."""
        code = textwrap.dedent(code)
        self.proc.stdin.write(json.dumps(code) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                self.close(kill=True)
                raise AssertionError(f"confluent-kafka step timed out after {timeout} s: {code!r}")
            line = self.proc.stdout.readline()
            if not line:
                self.stderr.seek(0)
                err = self.stderr.read()
                raise AssertionError(f"the confluent-kafka session died running {code!r}: {err[-3000:]}")
            reply = json.loads(line)
            if "error" in reply:
                raise DriverError(reply, code)
            return reply["value"]

    def close(self, kill=False):
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.stderr.close()
        if not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
