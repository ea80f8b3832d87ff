"""Per-tenant group metadata (kafkaEnableMultiTenantMetadata, default true; issue 11), run by
tests/e2e/authz/run against its broker (token authentication and authorization on, a
SASL_PLAINTEXT listener with PLAIN).

Two tenants, each with namespace `apps`, a role granted produce and consume there, and a topic
named `orders`. Each tenant's client (PLAIN, user name `<tenant>/apps`, password `token:<jwt>`)
produces to `orders` by its short name, consumes it in group `shared` (the same group id in both
tenants) and commits, and commits for a group of its own. Then:
- each reads only its own records;
- each tenant's ListGroups shows its own groups only, and DescribeGroups of the other tenant's
  group finds nothing;
- `shared` has each tenant's own committed offset;
- the broker created persistent://<tenant>/__kafka/__consumer_offsets for each tenant.
"""
TENANTS = ("kop-tenant-a", "kop-tenant-b")

# Runs in the confluent-kafka driver session: one tenant's produce, consume, commit and listing.
TENANT_RUN = """
    def sasl(extra=None):
        conf = {"bootstrap.servers": %(sasl)r, "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanism": "PLAIN", "sasl.username": %(user)r,
                "sasl.password": "token:" + %(token)r}
        conf.update(extra or {})
        return conf
    p = Producer(sasl({"linger.ms": 0, "message.timeout.ms": 20000}))
    perrs = []
    for v in %(values)r:
        p.produce("orders", value=v.encode(), partition=0,
                  on_delivery=lambda e, m: perrs.append(e and e.name()))
    p.flush(30)
    c = Consumer(sasl({"group.id": "shared", "auto.offset.reset": "earliest",
                       "enable.auto.commit": False, "session.timeout.ms": 6000}))
    c.subscribe(["orders"])
    got, deadline = [], time.monotonic() + 40
    while len(got) < %(n)d + 2 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            if got and m is None and len(got) >= %(n)d:
                break
            continue
        got.append(m.value().decode())
    committed = None
    if got:
        res = c.commit(asynchronous=False)
        committed = [tp.offset for tp in res]
    c.close()
    own = Consumer(sasl({"group.id": %(own_group)r, "enable.auto.commit": False}))
    own.commit(offsets=[TopicPartition("orders", 0, 1)], asynchronous=False)
    own.close()
    a = AdminClient(sasl())
    listed = a.list_consumer_groups(request_timeout=15).result()
    groups = sorted(g.group_id for g in listed.valid)
    desc = a.describe_consumer_groups([%(foreign_group)r], request_timeout=15)
    foreign_state = str(list(desc.values())[0].result().state)
    offs = a.list_consumer_group_offsets([ConsumerGroupTopicPartitions("shared")], request_timeout=15)
    shared = [tp.offset for tp in list(offs.values())[0].result().topic_partitions]
    _ = {"produce": perrs, "got": got, "committed": committed, "groups": groups,
         "foreign_state": foreign_state, "shared": shared}
"""


def run(check, driver, sasl_port, admin, http_get, sign):
    """`admin(method, path, body)` is the superuser's REST call (status); `http_get(path)` returns
    (status, text); `sign(role)` makes a token for `role`."""
    for t in TENANTS:
        admin("PUT", f"/admin/v2/tenants/{t}", {"adminRoles": [], "allowedClusters": ["standalone"]})
        admin("PUT", f"/admin/v2/namespaces/{t}/apps")
        admin("POST", f"/admin/v2/namespaces/{t}/apps/permissions/{t}-user", ["produce", "consume"])
        admin("PUT", f"/admin/v2/persistent/{t}/apps/orders/partitions", 1)
    results = {}
    for i, t in enumerate(TENANTS):
        other = TENANTS[1 - i]
        values = [f"{t}-v{j}" for j in range(3 + i)]
        try:
            results[t] = driver(TENANT_RUN % {
                "sasl": f"127.0.0.1:{sasl_port}", "user": f"{t}/apps", "token": sign(f"{t}-user"),
                "values": values, "n": len(values), "own_group": f"{t}-only",
                "foreign_group": f"{other}-only"}, timeout=150)
        except Exception as e:  # noqa: BLE001: reported as a failed check
            results[t] = {"error": repr(e)}
    for i, t in enumerate(TENANTS):
        other = TENANTS[1 - i]
        r = results[t]
        n = 3 + i
        check(f"tenancy_{t}_produces", r.get("produce") == [None] * n, f"{r}")
        check(f"tenancy_{t}_reads_only_its_own", sorted(r.get("got") or []) == [f"{t}-v{j}" for j in range(n)],
              f"read {r.get('got')}")
        check(f"tenancy_{t}_lists_only_its_groups", r.get("groups") == sorted(["shared", f"{t}-only"]),
              f"ListGroups: {r.get('groups')}")
        check(f"tenancy_{t}_cannot_describe_{other}", r.get("foreign_state") in ("ConsumerGroupState.DEAD",
                                                                                  "ConsumerGroupState.UNKNOWN"),
              f"DescribeGroups {other}-only: {r.get('foreign_state')}")
        check(f"tenancy_{t}_own_shared_offset", r.get("shared") == [n], f"shared group's offset {r.get('shared')}")
        status, body = http_get(f"/admin/v2/persistent/{t}/__kafka/partitioned")
        check(f"tenancy_{t}_offsets_topic", status == 200 and f"persistent://{t}/__kafka/__consumer_offsets" in body,
              f"{status} {body[:200]}")
