"""OAUTHBEARER with OpenID Connect (issue 11), called by tests/e2e/auth/run on its second broker
start, whose broker.conf has both Pulsar token providers: AuthenticationProviderToken (the
suite's HS256 key) and AuthenticationProviderOpenID (openIDAllowedTokenIssuers = the local issuer
of oidc_issuer.py, openIDAllowedAudiences=kop-e2e, openIDRequireIssuersUseHttps=false). Both
name their method `token`, so Pulsar's AuthenticationService holds them as one
AuthenticationProviderList that tries them in order; the core asks for `token` and gets that list.

- raw frames: OAUTHBEARER with the issuer's RS256 token authenticates, with session_lifetime_ms
  from its exp; PLAIN with `token:<oidc jwt>` too (the same providers); a token from an issuer
  that is not allowed, an expired one, one for another audience and one signed with another key
  under the issuer's key id answer SASL_AUTHENTICATION_FAILED and close, with nothing served;
- confluent-kafka (oauth_cb) with the issuer's token: produce, consume, a group commit; with each
  refused token an authentication error;
- librdkafka's sasl.oauthbearer.method=oidc (through confluent-kafka: kcat 1.7.1's librdkafka
  2.0.2 is built without it), calling the issuer's token endpoint: a round trip with an OIDC
  token, and (the Pulsar token provider) with an HS256 token the endpoint hands out; clients
  whose endpoint tokens are refused get an authentication error, and the broker logs it;
- Java kafka-clients 3.9.2 and 4.4.0 with Kafka's OAuthBearerLoginCallbackHandler fetching the
  OIDC token from the endpoint, and franz-go sasl/oauth with it: round trips;
- the broker log holds none of the tokens or client secrets, nor the issuer's private key.
"""
import base64
import json
import os
import subprocess
import time

import client_matrix
import oidc_issuer
import sasl_checks

AUDIENCE = "kop-e2e"


def _secret():
    return "cs-" + base64.b16encode(os.urandom(8)).decode()


def run(check, sasl_port, issuer, foreign, sign_hs256, venv_python, broker_log):
    """`issuer`: the allowed oidc_issuer.Issuer; `foreign`: another one, not allowed;
    `sign_hs256(claims)`: a token of the broker's HS256 key."""
    t0 = time.monotonic()
    bootstrap = f"127.0.0.1:{sasl_port}"
    now = int(time.time())
    tokens = {
        "oidc_good": issuer.token("alice"),
        "oidc_other_issuer": foreign.token("alice"),
        "oidc_expired": issuer.token("alice", lifetime=-120, iat=now - 600, nbf=now - 600),
        "oidc_wrong_audience": issuer.token("alice", aud="someone-else"),
        # Signed by another key, under the allowed issuer's key id: the signature must not check.
        "oidc_wrong_key": foreign.key.sign(issuer.claims("alice"), kid=issuer.key.kid),
    }
    good = tokens["oidc_good"]

    def bearer(token):
        return b"n,,\x01auth=Bearer " + token.encode() + b"\x01\x01"

    with sasl_checks._connect(sasl_port) as s:
        sasl_checks.handshake(s, 1, "OAUTHBEARER")
        answer = sasl_checks.authenticate(s, 2, bearer(good))
        lifetime = answer[2] if answer else -1
        check("oidc_raw_oauthbearer_authenticates",
              answer is not None and answer[0] == 0 and 3_500_000 < lifetime <= 3_600_000,
              f"{answer and answer[:3]}, session_lifetime_ms {lifetime}")
        check("oidc_raw_metadata_after_sasl", sasl_checks.metadata_answered(s, 3), "Metadata served")
    with sasl_checks._connect(sasl_port) as s:
        sasl_checks.handshake(s, 1, "PLAIN")
        answer = sasl_checks.authenticate(s, 2, sasl_checks.plain("public/default", "token:" + good))
        check("oidc_raw_plain_token_authenticates", answer is not None and answer[0] == 0, f"{answer}")
    refused = [name for name in tokens if name != "oidc_good"]
    for name in refused:
        answer, closed, through = sasl_checks.refused_attempt(sasl_port, "OAUTHBEARER", bearer(tokens[name]))
        check(f"oidc_raw_refused_{name[5:]}",
              answer is not None and answer[0] == sasl_checks.SASL_AUTHENTICATION_FAILED and closed and not through,
              f"answer {answer}, closed {closed}, request went through {through}")

    pid = os.getpid()
    client_matrix.confluent(check, "oidc_confluent_oauth", venv_python, "oauth", bootstrap, f"oidc-py-{pid}",
                            f"oidc-g-py-{pid}", good)
    for name in refused:
        p = subprocess.run([venv_python, os.path.join(client_matrix.HERE, "sasl_clients.py"), "oauth-wrong",
                            bootstrap, f"oidc-py-{pid}", f"oidc-g-py-{pid}", tokens[name]],
                           capture_output=True, text=True, timeout=120)
        check(f"oidc_confluent_refused_{name[5:]}", p.returncode == 0 and "auth-failed" in p.stdout,
              f"rc {p.returncode}: {p.stdout.strip()[-200:]} {p.stderr.strip()[-200:]}")

    # The token endpoint: one client id per token kind, each with its own secret.
    secrets = {}

    def client(client_id, make):
        secrets[client_id] = _secret()
        issuer.clients[client_id] = (secrets[client_id], make)

    minted = []

    def remember(make):
        def wrapped():
            minted.append(make())
            return minted[-1]
        return wrapped

    client("kop-oidc", remember(lambda: issuer.token("alice")))
    client("kop-pulsar-token", remember(lambda: sign_hs256({"sub": "alice", "exp": int(time.time()) + 3600})))
    client("kop-oidc-audience", remember(lambda: issuer.token("alice", aud="someone-else")))
    client("kop-oidc-other-issuer", remember(lambda: foreign.token("alice")))
    token_url = issuer.url + "/token"

    def oidc_settings(client_id):
        return {"sasl.oauthbearer.method": "oidc", "sasl.oauthbearer.client.id": client_id,
                "sasl.oauthbearer.client.secret": secrets[client_id], "sasl.oauthbearer.token.endpoint.url": token_url}

    # librdkafka's own token-endpoint login (kcat 1.7.1's librdkafka 2.0.2 is built without it:
    # "sasl.oauthbearer.method ... not supported in this build"), through confluent-kafka.
    client_matrix.confluent(check, "oidc_confluent_token_endpoint", venv_python, "oidc", bootstrap,
                            f"oidc-ep-{pid}", f"oidc-g-ep-{pid}", "-", oidc_settings("kop-oidc"))
    client_matrix.confluent(check, "confluent_token_endpoint_pulsar_token", venv_python, "oidc", bootstrap,
                            f"oauth-ep-{pid}", f"oauth-g-ep-{pid}", "-", oidc_settings("kop-pulsar-token"))
    for client_id in ("kop-oidc-audience", "kop-oidc-other-issuer"):
        before = broker_log().count("(mechanism OAUTHBEARER)")
        p = subprocess.run([venv_python, os.path.join(client_matrix.HERE, "sasl_clients.py"), "oidc-wrong", bootstrap,
                            f"oidc-ep-{pid}", f"oidc-g-ep-{pid}", "-", json.dumps(oidc_settings(client_id))],
                           capture_output=True, text=True, timeout=120)
        after = broker_log().count("(mechanism OAUTHBEARER)")
        check(f"oidc_confluent_token_endpoint_refused_{client_id[9:]}",
              p.returncode == 0 and "auth-failed" in p.stdout and after > before,
              f"rc {p.returncode}: {p.stdout.strip()[-150:]}; broker failure lines {before} -> {after}")

    for version in client_matrix.JAVA_VERSIONS:
        v = version.replace(".", "")
        props, jvm = client_matrix.java_oauth_endpoint(token_url, "kop-oidc", secrets["kop-oidc"])
        client_matrix.java(check, f"oidc_java_{version}_token_endpoint", version, "ok", bootstrap,
                           f"oidc-java{v}-{pid}", f"oidc-g-java{v}-{pid}", props, jvm)
    client_matrix.franz_go(check, "oidc_franz_go_oauth", bootstrap, f"oidc-go-{pid}", f"oidc-g-go-{pid}",
                           ["-sasl", "oauth", "-token", issuer.token("alice")])
    check("oidc_token_endpoint_used", issuer.token_requests >= 4, f"{issuer.token_requests} token requests")

    text = broker_log()
    with open(issuer.key.path) as f:
        key_lines = [ln for ln in f.read().splitlines() if ln and not ln.startswith("-----")]
    found = client_matrix.leaks({**tokens, **{f"minted_{i}": t for i, t in enumerate(minted)},
                                 **{f"secret_{k}": v for k, v in secrets.items()}}, text)
    found += ["issuer private key"] if any(ln in text for ln in key_lines) else []
    check("oidc_no_secret_in_broker_log", not found,
          f"leaked: {found} (of {len(tokens) + len(minted)} tokens, {len(secrets)} client secrets, the key)")
    check("oidc_failures_logged", "(mechanism OAUTHBEARER)" in text, "failure lines name the mechanism")
    print(f"auth-e2e: OIDC phase took {time.monotonic() - t0:.0f} s", flush=True)


def start_issuers(directory):
    """(the allowed issuer, a foreign one): two local issuers, each with its own key."""
    return (oidc_issuer.Issuer(directory, AUDIENCE),
            oidc_issuer.Issuer(directory, AUDIENCE, name="foreign-issuer"))


def broker_conf(issuer):
    """broker.conf lines for both token providers with `issuer` allowed."""
    return [
        "authenticationProviders=org.apache.pulsar.broker.authentication.AuthenticationProviderToken,"
        "org.apache.pulsar.broker.authentication.oidc.AuthenticationProviderOpenID",
        f"openIDAllowedTokenIssuers={issuer.url}",
        f"openIDAllowedAudiences={AUDIENCE}",
        "openIDRequireIssuersUseHttps=false",
        "openIDRoleClaim=sub",
    ]
