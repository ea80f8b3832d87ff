"""Full Pulsar topic names on the Kafka listener (issue 11), run by tests/e2e/authz/run on its broker:
a Kafka client may name persistent://<tenant>/<namespace>/<topic> wherever its role is authorized.

- kafka-anon (the PLAINTEXT listener's anonymous role), granted produce+consume on another namespace,
  produces, consumes and commits there through the full name: confluent-kafka, and Java kafka-clients
  3.9 and 4.x (which send the name as given: they do not check topic names client-side);
- a role without the grant (mallory, a token over SASL_PLAINTEXT) gets TOPIC_AUTHORIZATION_FAILED for
  produce, fetch, commit and DeleteTopics through the same name (confluent-kafka and Java), and the
  victim topic keeps its entries, its subscriptions and its existence;
- Metadata answers TOPIC_AUTHORIZATION_FAILED (29) for every tenant's __kafka namespace and for system
  names, and INVALID_TOPIC_EXCEPTION (17) for malformed full names.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "auth"))
import client_matrix  # noqa: E402

NAMES_NS = "public/authz-other"

# Steps run in the confluent-kafka session as a SASL_PLAINTEXT client of role mallory.
AS_MALLORY = """
    mc = {"bootstrap.servers": %(sasl)r, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
          "sasl.username": "public/default", "sasl.password": "token:" + %(token)r}
    mp = Producer(dict(mc, **{"linger.ms": 0, "message.timeout.ms": 8000}))
    merrs = []
    mp.produce(%(topic)r, value=b"evil", partition=0, on_delivery=lambda e, m: merrs.append(e and e.name()))
    mp.flush(20)
    mcons = Consumer(dict(mc, **{"group.id": %(group)r, "enable.auto.commit": False, "fetch.wait.max.ms": 100}))
    mcons.assign([TopicPartition(%(topic)r, 0, OFFSET_BEGINNING)])
    got, ferr, deadline = 0, None, time.monotonic() + 8
    while time.monotonic() < deadline and ferr is None:
        m = mcons.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() != KafkaError._PARTITION_EOF:
                ferr = m.error().name()
            continue
        got += 1
    try:
        res = mcons.commit(offsets=[TopicPartition(%(topic)r, 0, 0)], asynchronous=False)
        mcommit = [tp.error.name() if tp.error else None for tp in res]
    except KafkaException as e:
        mcommit = [e.args[0].name()]
    mcons.close()
    madmin = AdminClient(mc)  # kept: a collected client fails its futures with _DESTROY
    try:
        list(madmin.delete_topics([%(topic)r]).values())[0].result(15)
        mdelete = None
    except KafkaException as e:
        mdelete = e.args[0].name()
    _ = {"produce": merrs, "got": got, "fetch": ferr, "commit": mcommit, "delete": mdelete}
"""


def entries_added(http, path):
    """Entries ever appended to partition 0 of the partitioned topic `path` (tenant/ns/topic), from
    its managed ledger's internal stats (Kafka appends do not count in msgInCounter), or None."""
    status, body = http(f"/admin/v2/persistent/{path}-partition-0/internalStats")
    if status != 200:
        return None
    try:
        return json.loads(body).get("entriesAddedCounter")
    except ValueError:
        return None


def check_full_names(check, ctx):
    """ctx: driver, broker, admin, http (status, body of an admin GET), settle, key, suffix, raw_metadata,
    steps (PRODUCE, FETCH), hs256_jwt."""
    driver, broker, suffix = ctx["driver"], ctx["broker"], ctx["suffix"]
    full = f"persistent://{NAMES_NS}/names-{suffix}"
    java_topics = {v: f"persistent://{NAMES_NS}/names-java-{v.replace('.', '')}-{suffix}"
                   for v in client_matrix.JAVA_VERSIONS}
    for t in [full, *java_topics.values()]:
        ctx["admin"]("PUT", "/admin/v2/persistent/" + t[len("persistent://"):] + "/partitions", 1)
    ctx["admin"]("POST", f"/admin/v2/namespaces/{NAMES_NS}/permissions/kafka-anon", ["produce", "consume"])
    ctx["settle"]()

    # The granted role, by full name.
    errs = driver(ctx["steps"]["PRODUCE"] % {"topic": full, "n": 3})
    check("full_name_granted_produces", errs == [None, None, None], f"delivery errors {errs}")
    r = driver(ctx["steps"]["FETCH"] % {"topic": full, "group": f"g-names-{suffix}", "n": 3, "commit": True})
    check("full_name_granted_consumes", r["got"] == 3 and r["error"] is None, f"{r}")
    check("full_name_granted_commits", r["commit"] == [None], f"commit {r['commit']}")
    bootstrap = f"127.0.0.1:{broker.kafka}"
    for version, topic in java_topics.items():
        client_matrix.java(check, f"java_{version}_full_name_granted", version, "ok", bootstrap, topic,
                           f"g-names-java-{suffix}", {})

    # What no role may name, and malformed full names (Metadata v9, no auto-creation).
    refused = [
        "persistent://public/__kafka/__consumer_offsets",
        f"persistent://tenant-{suffix}/__kafka/__consumer_offsets",
        f"persistent://{NAMES_NS}/__change_events",
        f"non-persistent://{NAMES_NS}/names-{suffix}",
    ]
    malformed = [f"persistent://{NAMES_NS}/a/b", f"persistent://{NAMES_NS}/names-{suffix}-partition-0",
                 f"persistent://{NAMES_NS}/", "persistent://public//x"]
    codes = ctx["raw_metadata"](broker.kafka, [full, *refused, *malformed])
    want = {full: 0, **{n: 29 for n in refused}, **{n: 17 for n in malformed}}
    check("full_name_metadata_codes", codes == want, f"Metadata v9 error codes {codes}")

    # A role without the grant, by the same full name: refused, the victim unchanged.
    path = full[len("persistent://"):]
    before = entries_added(ctx["http"], path)
    mallory = ctx["hs256_jwt"](ctx["key"], {"sub": "mallory"})
    r = driver(AS_MALLORY % {"sasl": f"127.0.0.1:{broker.sasl}", "token": mallory, "topic": full,
                             "group": f"g-mallory-{suffix}"})
    check("full_name_ungranted_produce_refused", r["produce"] == ["TOPIC_AUTHORIZATION_FAILED"], f"{r}")
    check("full_name_ungranted_fetch_refused", r["got"] == 0 and r["fetch"] in (None, "TOPIC_AUTHORIZATION_FAILED"),
          f"{r}")
    check("full_name_ungranted_commit_refused", r["commit"] == ["TOPIC_AUTHORIZATION_FAILED"], f"{r}")
    check("full_name_ungranted_delete_refused", r["delete"] == "TOPIC_AUTHORIZATION_FAILED", f"{r}")
    java_version = client_matrix.JAVA_VERSIONS[-1]
    client_matrix.java(check, f"java_{java_version}_full_name_ungranted", java_version, "denied", f"127.0.0.1:"
                       f"{broker.sasl}", full, f"g-mallory-java-{suffix}",
                       client_matrix.java_sasl("PLAIN", mallory, "SASL_PLAINTEXT"))
    after = entries_added(ctx["http"], path)
    check("full_name_victim_unwritten", before is not None and before > 0 and after == before,
          f"entriesAddedCounter {before} before, {after} after")
    status, body = ctx["http"](f"/admin/v2/persistent/{path}/subscriptions")
    check("full_name_victim_subscriptions", status == 200 and "mallory" not in body, f"{status} {body[:300]}")
    status, body = ctx["http"](f"/admin/v2/persistent/{path}/partitions")
    check("full_name_victim_kept", status == 200 and '"partitions":1' in body.replace(" ", ""),
          f"{status} {body[:200]}")
