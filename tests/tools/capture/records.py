#!/usr/bin/env python3
"""The shared deterministic record set used by every capture client, and the
kcat / confluent-kafka helpers around it.

  records.py kcat-input CODEC TOPIC RECORDS_JSON_OUT   > stdin-for-kcat
      prints the 20 records as "key<TAB>value" lines for `kcat -P -K '\\t' -Z`
      and writes the matching records.json (kcat cannot set per-record
      headers or timestamps: every record gets the -H headers given on the
      command line, and the timestamp is the producer's wall clock -> null).

The record set (same rule in java/GoldenClient.java and go/main.go):
  i = 0..19, partition 0
  key       "key-%02d" % i, except i == 7: null
  value     "value-%02d" % i + " the quick brown fox jumps over the lazy dog" * 4,
            except i == 13: null
  headers   i % 3 == 1: [h1="v%02d" % i]; i % 3 == 2: [h1="v%02d" % i, h2=""];
            i == 5 additionally nullh=null
  timestamp 1700000000000 + 1000 * i (CreateTime)
  batch     0 for i < 15, 1 for i >= 15 (the client flushes between them)
"""
import json
import sys

N = 20
BASE_TS = 1700000000000
KCAT_HEADERS = [["h1", "kcat"], ["h2", ""]]


def key(i):
    return None if i == 7 else "key-%02d" % i


def value(i):
    if i == 13:
        return None
    return "value-%02d" % i + " the quick brown fox jumps over the lazy dog" * 4


def headers(i):
    h = []
    if i % 3 >= 1:
        h.append(["h1", "v%02d" % i])
    if i % 3 == 2:
        h.append(["h2", ""])
    if i == 5:
        h.append(["nullh", None])
    return h


def timestamp(i):
    return BASE_TS + 1000 * i


def batch_of(i):
    return 0 if i < 15 else 1


def dump(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def kcat_input(codec, topic, out):
    recs = []
    lines = []
    for i in range(N):
        k, v = key(i), value(i)
        # kcat -K '\t': no delimiter on the line -> null key; -Z: empty value -> null.
        lines.append(v if k is None else "%s\t%s" % (k, v or ""))
        recs.append({"topic": topic, "partition": 0, "batch": 0, "key": k, "value": v,
                     "headers": KCAT_HEADERS, "timestamp": None})
    dump(out, {
        "client": "kcat 1.7.1 (librdkafka 2.0.2)",
        "codec": codec,
        "idempotent": False,
        "note": "kcat sends every record with the -H headers; timestamp null = producer wall clock "
                "(kcat cannot set it); all records normally end up in one batch (linger.ms=1000)",
        "records": recs,
    })
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "kcat-input":
        kcat_input(*sys.argv[2:5])
    else:
        sys.exit("unknown mode " + sys.argv[1])
