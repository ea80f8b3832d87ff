"""confluent-kafka clients over a secured Kafka listener for tests/e2e/auth and tests/e2e/tls (run
with build/e2e-venv's python). Modes:
- `plain`: PLAIN, user public/default, password token:<jwt>;
- `oauth`: OAUTHBEARER, the token through oauth_cb;
- `oidc`: OAUTHBEARER with librdkafka's sasl.oauthbearer.method=oidc (its token endpoint, client
  id and secret in EXTRA; TOKEN is unused);
- `ssl`: no SASL (SSL, or mTLS with a client certificate in EXTRA);
  each of these produces 5, consumes them in a group, commits and reads the commit back;
- `denied`: a produce fails with TOPIC_AUTHORIZATION_FAILED;
- `scram`: SCRAM-SHA-512, TOKEN is user:password (as `plain`);
- `scram-wrong`, `oauth-wrong`, `oidc-wrong`: a wrong SCRAM password, or a bearer token the broker
  refuses:
  prints "auth-failed" when the producer reports an authentication error.
EXTRA is a JSON object of settings over the mode's (security.protocol SASL_PLAINTEXT by default;
SASL_SSL or SSL with ssl.ca.location and ssl.certificate.location/ssl.key.location).
Prints "ok" last on success.
Usage: sasl_clients.py MODE BOOTSTRAP TOPIC GROUP TOKEN [EXTRA]
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

mode, bootstrap, topic, group, token = sys.argv[1:6]
extra = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}
if mode.startswith("scram"):
    user, password = token.split(":", 1)
    auth = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": user, "sasl.password": password}
elif mode == "plain":
    auth = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
            "sasl.username": "public/default", "sasl.password": "token:" + token}
elif mode in ("oauth", "oauth-wrong"):
    auth = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
            "oauth_cb": lambda _config: (token, time.time() + 3600)}
elif mode in ("oidc", "oidc-wrong"):
    auth = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER"}
else:
    auth = {"security.protocol": "SSL"}
auth.update(extra)
n = 5

errors = []
codes = []
p = Producer({"bootstrap.servers": bootstrap, **auth,
              "error_cb": lambda e: (errors.append(str(e)), codes.append(e.code())),
              "message.timeout.ms": 30000})
if mode.endswith("-wrong"):
    p.produce(topic, value=b"never")
    deadline = time.monotonic() + 15
    while KafkaError._AUTHENTICATION not in codes and time.monotonic() < deadline:
        p.poll(0.2)  # serves error_cb; done at the first authentication error
    failed = KafkaError._AUTHENTICATION in codes
    print("auth-failed" if failed else f"no authentication error: {errors}")
    sys.exit(0)
delivered = []
for i in range(n):
    p.produce(topic, value=f"{mode}-{i}".encode(), on_delivery=lambda e, m: delivered.append(e))
left = p.flush(60)
if mode == "denied":
    codes = {e.code() for e in delivered if e is not None}
    if left == 0 and codes == {KafkaError.TOPIC_AUTHORIZATION_FAILED}:
        print(f"denied: {delivered[0]}")
        print("ok")
        sys.exit(0)
    sys.exit(f"expected TOPIC_AUTHORIZATION_FAILED for every record: left {left}, {delivered} {errors}")
if left != 0 or len(delivered) != n or any(delivered):
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
c.commit(asynchronous=False)
committed = c.committed([TopicPartition(topic, 0)], timeout=30)
if committed[0].offset != n:
    sys.exit(f"committed {committed}")
c.close()
print("ok")
