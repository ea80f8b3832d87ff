"""confluent-kafka clients over SASL_PLAINTEXT for tests/e2e/auth (run with build/e2e-venv's
python). Modes: `plain` (PLAIN, user public/default, password token:<jwt>: produce 5, consume them
in a group and commit, read the commit back), `oauth` (OAUTHBEARER through oauth_cb: produce 3,
consume 3), `scram` (SCRAM-SHA-512, TOKEN is user:password: produce 3, consume 3) and
`scram-wrong` (a wrong SCRAM password: prints "auth-failed" when the producer reports an
authentication error). Prints "ok" last on success.
Usage: sasl_clients.py MODE BOOTSTRAP TOPIC GROUP TOKEN
"""
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

mode, bootstrap, topic, group, token = sys.argv[1:6]
if mode.startswith("scram"):
    user, password = token.split(":", 1)
    auth = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": user, "sasl.password": password}
elif mode == "plain":
    auth = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
            "sasl.username": "public/default", "sasl.password": "token:" + token}
else:
    auth = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
            "oauth_cb": lambda _config: (token, time.time() + 3600)}
n = 5 if mode == "plain" else 3

errors = []
p = Producer({"bootstrap.servers": bootstrap, **auth, "error_cb": lambda e: errors.append(e)})
if mode == "scram-wrong":
    p.produce(topic, value=b"never")
    p.flush(15)
    from confluent_kafka import KafkaError
    failed = any(e.code() == KafkaError._AUTHENTICATION for e in errors)
    print("auth-failed" if failed else f"no authentication error: {[str(e) for e in errors]}")
    sys.exit(0)
delivered = []
for i in range(n):
    p.produce(topic, value=f"{mode}-{i}".encode(), on_delivery=lambda e, m: delivered.append(e))
if p.flush(60) != 0 or len(delivered) != n or any(delivered):
    sys.exit(f"produce failed: {delivered} {errors}")

c = Consumer({"bootstrap.servers": bootstrap, **auth, "group.id": group, "auto.offset.reset": "earliest",
              "enable.auto.commit": False, "session.timeout.ms": 6000})
c.subscribe([topic])
got, deadline = [], time.monotonic() + 60
while len(got) < n and time.monotonic() < deadline:
    m = c.poll(1.0)
    if m is None or m.error():
        continue
    got.append(m.value().decode())
if got != [f"{mode}-{i}" for i in range(n)]:
    sys.exit(f"consumed {got}")
if mode == "plain":
    c.commit(asynchronous=False)
    committed = c.committed([TopicPartition(topic, 0)], timeout=30)
    if committed[0].offset != n:
        sys.exit(f"committed {committed}")
c.close()
print("ok")
