"""SCRAM (issue 11) against the real broker, called by tests/e2e/auth/run after sasl_checks.py on
the same SASL_PLAINTEXT listener (saslAllowedMechanisms ...,SCRAM-SHA-256,SCRAM-SHA-512):

- confluent-kafka's AdminClient, as the superuser over PLAIN, creates user `scram-alice` for
  SCRAM-SHA-512 (AlterUserScramCredentials) and describes it (mechanism and iterations only);
- as `scram-alice` with SCRAM-SHA-512, confluent-kafka (sasl_clients.py), kcat, Java
  kafka-clients 3.9.2 and 4.4.0 and franz-go each produce, consume and commit in a group
  (client_matrix.py); Java and franz-go with a wrong password are refused;
- raw frames with a SCRAM client written here: the right password authenticates and the server
  signature checks; a wrong password and an unknown user both answer SASL_AUTHENTICATION_FAILED
  with the same message, then close;
- the broker log holds neither password.
"""
import base64
import hashlib
import hmac
import os
import struct
import subprocess

import client_matrix
import kafka_wire
from sasl_checks import SASL_AUTHENTICATE, SASL_AUTHENTICATION_FAILED, _connect, handshake

HERE = os.path.dirname(os.path.abspath(__file__))
USER = "scram-alice"
PASSWORD = "scram-pw-" + base64.b16encode(os.urandom(6)).decode()
WRONG = "wrong-pw-" + base64.b16encode(os.urandom(6)).decode()

ADMIN = r'''
import sys
from confluent_kafka.admin import (AdminClient, ScramCredentialInfo, ScramMechanism,
                                   UserScramCredentialUpsertion)
bootstrap, token, user, password = sys.argv[1:5]
a = AdminClient({"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT",
                 "sasl.mechanism": "PLAIN", "sasl.username": "public/default",
                 "sasl.password": "token:" + token})
info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
for f in a.alter_user_scram_credentials(
        [UserScramCredentialUpsertion(user, info, password.encode())]).values():
    f.result(30)
d = a.describe_user_scram_credentials([user])[user].result(30)
print(" ".join(f"{i.mechanism.name}:{i.iterations}" for i in d.scram_credential_infos))
'''


def _authenticate(sock, correlation_id, auth_bytes):
    """SaslAuthenticate v1 -> (error, message, auth_bytes), or None when closed unanswered."""
    sock.sendall(kafka_wire.frame(kafka_wire.request_header_v1(SASL_AUTHENTICATE, 1, correlation_id)
                                  + struct.pack(">i", len(auth_bytes)) + auth_bytes))
    body = kafka_wire.read_frame(sock)
    if body is None:
        return None
    _, error, mlen = struct.unpack_from(">ihh", body, 0)
    off = 8 + max(mlen, 0)
    message = body[8:off].decode(errors="replace") if mlen >= 0 else None
    (blen,) = struct.unpack_from(">i", body, off)
    return error, message, body[off + 4:off + 4 + max(blen, 0)]


def scram_exchange(port, user, password):
    """A SCRAM-SHA-512 login (RFC 5802) -> (final error, message, server signature verified)."""
    with _connect(port) as s:
        error, _ = handshake(s, 1, "SCRAM-SHA-512")
        assert error == 0, f"handshake: {error}"
        bare = f"n={user},r={base64.b64encode(os.urandom(18)).decode()}"
        first = _authenticate(s, 2, ("n,," + bare).encode())
        if first is None or first[0] != 0:
            return first, False
        server_first = first[2].decode()
        attrs = dict(a.split("=", 1) for a in server_first.split(","))
        salted = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
        without_proof = f"c=biws,r={attrs['r']}"
        auth = f"{bare},{server_first},{without_proof}".encode()
        client_key = hmac.new(salted, b"Client Key", "sha512").digest()
        signature = hmac.new(hashlib.sha512(client_key).digest(), auth, "sha512").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        final = _authenticate(s, 3, f"{without_proof},p={base64.b64encode(proof).decode()}".encode())
        server_key = hmac.new(salted, b"Server Key", "sha512").digest()
        expected = b"v=" + base64.b64encode(hmac.new(server_key, auth, "sha512").digest())
        verified = final is not None and final[0] == 0 and final[2] == expected
        closed = final is not None and final[0] != 0 and kafka_wire.wait_closed(s, 5)
        return final, verified or closed


def run(check, sasl_port, admin_token, venv_python, broker_log):
    bootstrap = f"127.0.0.1:{sasl_port}"
    if not os.path.exists(venv_python):
        check("scram_confluent_kafka_available", False, f"{venv_python} missing")
        return
    r = subprocess.run([venv_python, "-c", ADMIN, bootstrap, admin_token, USER, PASSWORD],
                       capture_output=True, text=True, timeout=120)
    check("scram_user_created_by_superuser", r.returncode == 0 and "SCRAM_SHA_512:4096" in r.stdout,
          f"rc {r.returncode}: {r.stdout.strip()} {r.stderr.strip()[-400:]}")

    answer, verified = scram_exchange(sasl_port, USER, PASSWORD)
    check("scram_raw_login", answer is not None and answer[0] == 0 and verified,
          f"answer {answer}, server signature verified {verified}")
    wrong, wrong_closed = scram_exchange(sasl_port, USER, WRONG)
    unknown, unknown_closed = scram_exchange(sasl_port, "scram-nobody", WRONG)
    check("scram_wrong_password_refused",
          wrong is not None and wrong[0] == SASL_AUTHENTICATION_FAILED and wrong_closed, f"{wrong}")
    check("scram_unknown_user_like_wrong_password",
          unknown is not None and unknown[0] == SASL_AUTHENTICATION_FAILED and unknown_closed
          and wrong is not None and unknown[1] == wrong[1], f"unknown {unknown}, wrong {wrong}")

    r = subprocess.run([venv_python, os.path.join(HERE, "sasl_clients.py"), "scram", bootstrap, "scram-orders",
                        "scram-group", f"{USER}:{PASSWORD}"], capture_output=True, text=True, timeout=180)
    check("scram_confluent_kafka_produce_consume", r.returncode == 0 and r.stdout.strip().endswith("ok"),
          f"rc {r.returncode}: {r.stdout.strip()[-300:]} {r.stderr.strip()[-400:]}")
    # The rest of the client matrix as the same user: kcat, Java kafka-clients, franz-go.
    pid = os.getpid()
    client_matrix.kcat(check, "scram_kcat", bootstrap,
                       ["security.protocol=SASL_PLAINTEXT", "sasl.mechanisms=SCRAM-SHA-512", f"sasl.username={USER}",
                        f"sasl.password={PASSWORD}"], f"scram-kcat-{pid}", f"scram-g-kcat-{pid}")
    for version in client_matrix.JAVA_VERSIONS:
        v = version.replace(".", "")
        client_matrix.java(check, f"scram_java_{version}", version, "ok", bootstrap, f"scram-java{v}-{pid}",
                           f"scram-g-java{v}-{pid}",
                           client_matrix.java_sasl("SCRAM-SHA-512", f"{USER}:{PASSWORD}", "SASL_PLAINTEXT"))
    client_matrix.java(check, "scram_java_wrong_password_refused", client_matrix.JAVA_VERSIONS[-1], "refused",
                       bootstrap, f"scram-java-refused-{pid}", f"scram-g-java-refused-{pid}",
                       client_matrix.java_sasl("SCRAM-SHA-512", f"{USER}:{WRONG}", "SASL_PLAINTEXT"))
    client_matrix.franz_go(check, "scram_franz_go", bootstrap, f"scram-go-{pid}", f"scram-g-go-{pid}",
                           ["-sasl", "scram-sha-512", "-sasl-user", USER, "-password", PASSWORD])
    client_matrix.franz_go(check, "scram_franz_go_wrong_password_refused", bootstrap, f"scram-go-refused-{pid}",
                           f"scram-g-go-refused-{pid}",
                           ["-sasl", "scram-sha-512", "-sasl-user", USER, "-password", WRONG],
                           expect="SASL_AUTHENTICATION_FAILED")

    r = subprocess.run([venv_python, os.path.join(HERE, "sasl_clients.py"), "scram-wrong", bootstrap,
                        "scram-orders", "scram-group2", f"{USER}:{WRONG}"], capture_output=True, text=True,
                       timeout=120)
    check("scram_confluent_kafka_wrong_password_fails", r.returncode == 0 and "auth-failed" in r.stdout,
          f"rc {r.returncode}: {r.stdout.strip()[-300:]} {r.stderr.strip()[-300:]}")

    text = broker_log()
    check("scram_log_has_no_password", PASSWORD not in text and WRONG not in text,
          "neither SCRAM password appears in the broker log")
    check("scram_failures_logged", "mechanism SCRAM-SHA-512" in text, "failure lines name the mechanism")
