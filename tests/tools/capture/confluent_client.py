#!/usr/bin/env python3
"""Golden-frame capture client for confluent-kafka (Python, bundled librdkafka).

  confluent_client.py produce BOOTSTRAP CLIENT_ID TOPIC CODEC RECORDS_JSON_OUT
  confluent_client.py consume BOOTSTRAP CLIENT_ID EXPECTED_TOTAL TOPIC...
  confluent_client.py group   BOOTSTRAP CLIENT_ID GROUP EXPECTED_TOTAL TOPIC...

Records: the shared deterministic set from records.py. Run with the venv
python that capture-all creates (confluent-kafka from PyPI).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import records as R  # noqa: E402

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402


def b(s):
    return None if s is None else s.encode()


def produce(bootstrap, client_id, topic, codec, out):
    p = Producer({
        "bootstrap.servers": bootstrap,
        "client.id": client_id,
        "enable.idempotence": True,
        "compression.codec": codec,
        "linger.ms": 5000,
    })
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)

    recs = []
    for i in range(R.N):
        hs = [(k, b(v)) for k, v in R.headers(i)]
        p.produce(topic, value=b(R.value(i)), key=b(R.key(i)), partition=0,
                  timestamp=R.timestamp(i), headers=hs, on_delivery=on_delivery)
        recs.append({"topic": topic, "partition": 0, "batch": R.batch_of(i), "key": R.key(i),
                     "value": R.value(i), "headers": R.headers(i), "timestamp": R.timestamp(i)})
        if i + 1 < R.N and R.batch_of(i + 1) != R.batch_of(i):
            p.flush(30)
    if p.flush(30) != 0 or errors:
        sys.exit("produce failed: %r" % errors)
    import confluent_kafka
    R.dump(out, {
        "client": "confluent-kafka %s (librdkafka %s)" % (confluent_kafka.version()[0], confluent_kafka.libversion()[0]),
        "codec": codec,
        "idempotent": True,
        "note": "records in send order; batch = which flush() they were sent before (one RecordBatch per flush)",
        "records": recs,
    })


def consume(bootstrap, client_id, expected, topics, group=None):
    conf = {
        "bootstrap.servers": bootstrap,
        "client.id": client_id,
        "auto.offset.reset": "earliest",
        "fetch.wait.max.ms": 200,
        "enable.auto.commit": False,
    }
    # The Python wrapper insists on group.id even for assign(); in assign mode
    # with explicit offsets and no commit it is not used for group membership.
    conf["group.id"] = group or (client_id + "-assign")
    c = Consumer(conf)
    if group:
        c.subscribe(topics)
    else:
        tps = [TopicPartition(t, 0) for t in topics]
        for t in topics:
            print("watermarks", t, c.get_watermark_offsets(TopicPartition(t, 0), timeout=10), file=sys.stderr)
        print("offsets_for_times", c.offsets_for_times([TopicPartition(t, 0, R.timestamp(10)) for t in topics],
                                                      timeout=10), file=sys.stderr)
        c.assign([TopicPartition(t, 0, 0) for t in topics])
    got = 0
    deadline = time.time() + 30
    while got < expected and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            print("error", m.error(), file=sys.stderr)
            continue
        got += 1
    if group:
        try:
            c.commit(asynchronous=False)
        except KafkaException as e:
            print("commit", e, file=sys.stderr)
    c.close()
    print("consume: got %d of %d" % (got, expected), file=sys.stderr)
    if got < expected:
        sys.exit(1)


def main(a):
    if a[0] == "produce":
        produce(*a[1:6])
    elif a[0] == "consume":
        consume(a[1], a[2], int(a[3]), a[4:])
    elif a[0] == "group":
        consume(a[1], a[2], int(a[4]), a[5:], group=a[3])
    else:
        sys.exit("unknown mode " + a[0])


if __name__ == "__main__":
    main(sys.argv[1:])
