"""SASL on the Kafka listener against the real broker (issue 11), called by tests/e2e/auth/run on a
broker with Pulsar token authentication and a SASL_PLAINTEXT listener (saslAllowedMechanisms
PLAIN,OAUTHBEARER,SCRAM-SHA-256,SCRAM-SHA-512; SCRAM itself: scram_checks.py):

- raw frames (kafka_wire): the SASL APIs are advertised only on the SASL listener; a request
  (or a frame above sasl.server.max.receive.size) before SASL closes the connection unanswered; wrong, expired, foreign-key, `nomethod` and
  malformed credentials answer SASL_AUTHENTICATION_FAILED after the failure delay, then close,
  and no request goes through; KIP-368's session_lifetime_ms follows the token's exp and past it
  the connection closes;
- the client matrix (client_matrix.py), each producing, consuming and committing in a group:
  kcat and confluent-kafka PLAIN (`public/default`, `token:<jwt>`), confluent-kafka OAUTHBEARER
  (oauth_cb), Java kafka-clients 3.9.2 and 4.4.0 PLAIN (sasl.jaas.config) and OAUTHBEARER (a login
  callback handler with the token), franz-go sasl/plain and sasl/oauth; a foreign-key token fails
  for kcat, Java and franz-go;
- the broker log has a failure line per refused attempt and none of the tokens or other secrets.
"""
import os
import socket
import struct
import subprocess
import time

import client_matrix
import kafka_wire

SASL_HANDSHAKE = 17
SASL_AUTHENTICATE = 36
SASL_AUTHENTICATION_FAILED = 58


def _connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def handshake(sock, correlation_id, mechanism):
    """SaslHandshake v1 -> (error_code, [mechanisms])."""
    sock.sendall(kafka_wire.frame(kafka_wire.request_header_v1(SASL_HANDSHAKE, 1, correlation_id)
                                  + _string(mechanism)))
    body = kafka_wire.read_frame(sock)
    if body is None:
        return None, []
    corr, error, count = struct.unpack_from(">ihi", body, 0)
    assert corr == correlation_id, (corr, correlation_id)
    off, names = 10, []
    for _ in range(count):
        (n,) = struct.unpack_from(">h", body, off)
        names.append(body[off + 2:off + 2 + n].decode())
        off += 2 + n
    return error, names


def authenticate(sock, correlation_id, auth_bytes):
    """SaslAuthenticate v1 -> (error_code, message, session_lifetime_ms, seconds waited), or None
    when the broker closed without answering."""
    t0 = time.monotonic()
    sock.sendall(kafka_wire.frame(kafka_wire.request_header_v1(SASL_AUTHENTICATE, 1, correlation_id)
                                  + struct.pack(">i", len(auth_bytes)) + auth_bytes))
    body = kafka_wire.read_frame(sock)
    waited = time.monotonic() - t0
    if body is None:
        return None
    corr, error, mlen = struct.unpack_from(">ihh", body, 0)
    assert corr == correlation_id, (corr, correlation_id)
    off = 8
    message = None
    if mlen >= 0:
        message = body[off:off + mlen].decode(errors="replace")
        off += mlen
    (blen,) = struct.unpack_from(">i", body, off)
    off += 4 + max(blen, 0)
    (lifetime,) = struct.unpack_from(">q", body, off)
    return error, message, lifetime, waited


def plain(user, password):
    return b"\0" + user.encode() + b"\0" + password.encode()


def metadata_answered(sock, correlation_id):
    """Sends Metadata v9 (all topics); True if answered, False if the connection closed."""
    try:
        sock.sendall(kafka_wire.metadata_v9(correlation_id, None, False))
        return kafka_wire.read_frame(sock, timeout=15) is not None
    except (ConnectionResetError, BrokenPipeError):
        return False


def api_keys(port):
    with _connect(port) as s:
        s.sendall(kafka_wire.api_versions_v0(1))
        return set(kafka_wire.parse_api_versions_v0(kafka_wire.read_frame(s))[2])


def refused_attempt(port, mechanism, auth_bytes):
    """(answer, closed, metadata went through) of one bad SASL attempt on a fresh connection."""
    with _connect(port) as s:
        error, _ = handshake(s, 1, mechanism)
        assert error == 0, f"handshake {mechanism}: {error}"
        answer = authenticate(s, 2, auth_bytes)
        through = metadata_answered(s, 3)
        return answer, kafka_wire.wait_closed(s, 5) or not through, through


def kcat(args, stdin=None, timeout=60):
    return subprocess.run(["kcat", *args], input=stdin, capture_output=True, timeout=timeout)


def run(check, ports, sign, venv_python, broker_log, secrets=None):
    """`ports`: (plaintext, sasl); `sign(claims, foreign=False)`: an HS256 token with the broker's
    key (or another one); `secrets` (name -> value): more that must not be in the broker log."""
    plain_port, sasl_port = ports
    now = int(time.time())
    tokens = {
        "good": sign({"sub": "alice", "exp": now + 3600}),
        "expired": sign({"sub": "alice", "exp": now - 60}),
        "foreign": sign({"sub": "alice"}, foreign=True),
    }
    good = tokens["good"]

    keys = api_keys(sasl_port)
    check("sasl_apis_on_sasl_listener", {17, 36} <= keys, f"ApiVersions lists {sorted(keys)}")
    keys = api_keys(plain_port)
    check("no_sasl_apis_on_plaintext_listener", not ({17, 36} & keys), f"ApiVersions lists {sorted(keys)}")

    with _connect(sasl_port) as s:
        through = metadata_answered(s, 1)
        check("metadata_before_sasl_closes", not through, "Metadata before SaslHandshake is not answered")

    with _connect(sasl_port) as s:
        # A 600 kB frame before SASL: refused at its length prefix (sasl.server.max.receive.size).
        s.sendall(struct.pack(">ihhi", 600_000, 3, 0, 1))
        check("big_frame_before_sasl_closes", kafka_wire.wait_closed(s, 10), "600000-byte length prefix")

    with _connect(sasl_port) as s:
        error, names = handshake(s, 1, "GSSAPI")
        check("unsupported_mechanism_refused",
              error == 33 and names == ["PLAIN", "OAUTHBEARER", "SCRAM-SHA-256", "SCRAM-SHA-512"],
              f"error {error}, mechanisms {names}")

    with _connect(sasl_port) as s:
        error, _ = handshake(s, 1, "PLAIN")
        answer = authenticate(s, 2, plain("public/default", "token:" + good))
        check("raw_plain_authenticates", answer is not None and answer[0] == 0, f"{answer}")
        check("raw_metadata_after_sasl", metadata_answered(s, 3), "Metadata is served once authenticated")

    bad = {
        "wrong_key_token": ("PLAIN", plain("public", "token:" + tokens["foreign"])),
        "expired_token": ("PLAIN", plain("public", "token:" + tokens["expired"])),
        "nomethod_password": ("PLAIN", plain("public", good)),
        "garbage_token": ("PLAIN", plain("public", "token:not-a-jwt")),
        "unknown_provider": ("PLAIN", plain("public", "basic:alice:pw")),
        "bad_tenant_name": ("PLAIN", plain("pub lic", "token:" + good)),
        "oauth_wrong_key": ("OAUTHBEARER", b"n,,\x01auth=Bearer " + tokens["foreign"].encode() + b"\x01\x01"),
    }
    for name, (mechanism, auth_bytes) in bad.items():
        answer, closed, through = refused_attempt(sasl_port, mechanism, auth_bytes)
        ok = (answer is not None and answer[0] == SASL_AUTHENTICATION_FAILED and closed and not through
              and answer[3] >= 0.08)
        if name == "nomethod_password":
            ok = ok and "token:<jwt>" in (answer[1] or "")
        check(f"refused_{name}", ok, f"answer {answer}, closed {closed}, request went through {through}")

    tokens["expiring"] = sign({"sub": "alice", "exp": int(time.time()) + 4})
    with _connect(sasl_port) as s:
        handshake(s, 1, "PLAIN")
        answer = authenticate(s, 2, plain("public/default", "token:" + tokens["expiring"]))
        lifetime = answer[2] if answer else -1
        check("kip368_session_lifetime", answer is not None and answer[0] == 0 and 0 < lifetime <= 5000,
              f"session_lifetime_ms {lifetime}")
        check("served_before_expiry", metadata_answered(s, 3), "Metadata before the token expires")
        time.sleep(max(0, lifetime / 1000) + 1.5)
        check("closed_after_expiry", not metadata_answered(s, 4), "Metadata after the session lifetime")

    # kcat (librdkafka): PLAIN produce, consume and a group; a wrong token fails.
    pid = os.getpid()
    bootstrap = f"127.0.0.1:{sasl_port}"
    xopts = ["security.protocol=SASL_PLAINTEXT", "sasl.mechanisms=PLAIN", "sasl.username=public/default"]
    if client_matrix.kcat(check, "kcat_plain", bootstrap, [*xopts, f"sasl.password=token:{good}"],
                          f"sasl-kcat-{pid}", f"sasl-g-kcat-{pid}"):
        p = kcat(["-b", bootstrap, *sum((["-X", o] for o in xopts), []), "-X",
                  f"sasl.password=token:{tokens['foreign']}", "-L", "-m", "10"], timeout=30)
        check("kcat_wrong_token_fails", p.returncode != 0, f"rc {p.returncode}")

    # confluent-kafka: PLAIN and OAUTHBEARER (oauth_cb), each with a group commit.
    for mode in ("plain", "oauth"):
        client_matrix.confluent(check, f"confluent_{mode}", venv_python, mode, bootstrap, f"sasl-{mode}-{pid}",
                                f"sasl-g-{mode}-{pid}", good)

    # Java kafka-clients 3.9.2 and 4.4.0: PLAIN through sasl.jaas.config, OAUTHBEARER through a
    # login callback handler that hands over the token; a foreign-key token is refused.
    for version in client_matrix.JAVA_VERSIONS:
        v = version.replace(".", "")
        for mech in ("PLAIN", "OAUTHBEARER"):
            client_matrix.java(check, f"java_{version}_{mech.lower()}", version, "ok", bootstrap,
                               f"sasl-java{v}-{mech}-{pid}", f"sasl-g-java{v}-{mech}-{pid}",
                               client_matrix.java_sasl(mech, good, "SASL_PLAINTEXT"))
        client_matrix.java(check, f"java_{version}_plain_refused", version, "refused", bootstrap,
                           f"sasl-java{v}-refused-{pid}", f"sasl-g-java{v}-refused-{pid}",
                           client_matrix.java_sasl("PLAIN", tokens["foreign"], "SASL_PLAINTEXT"))

    # franz-go: sasl/plain and sasl/oauth; a foreign-key token is refused.
    for mech in ("plain", "oauth"):
        client_matrix.franz_go(check, f"franz_go_{mech}", bootstrap, f"sasl-go-{mech}-{pid}",
                               f"sasl-g-go-{mech}-{pid}", ["-sasl", mech, "-token", good])
    client_matrix.franz_go(check, "franz_go_plain_refused", bootstrap, f"sasl-go-refused-{pid}",
                           f"sasl-g-go-refused-{pid}", ["-sasl", "plain", "-token", tokens["foreign"]],
                           expect="SASL_AUTHENTICATION_FAILED")

    text = broker_log()
    leaked = client_matrix.leaks({**tokens, **(secrets or {})}, text)
    check("no_secret_in_broker_log", not leaked, f"leaked: {leaked} (of {sorted({**tokens, **(secrets or {})})})")
    failures = [line for line in text.splitlines() if "SASL authentication failed for /127.0.0.1" in line]
    check("failures_logged_once_each", len(failures) >= len(bad),
          f"{len(failures)} failure lines for {len(bad)} refused attempts (+ kcat's)")
    check("nomethod_failure_logged",
          any("mechanism PLAIN" in line and "token:<jwt>" in line for line in failures), "reason in the log line")
