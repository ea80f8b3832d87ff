"""A small OpenID Connect issuer for tests/e2e/auth (standard library and the openssl binary only),
serving over http on 127.0.0.1 from a thread:

- GET /.well-known/openid-configuration: the discovery document (issuer, jwks_uri,
  token_endpoint), as Pulsar's AuthenticationProviderOpenID fetches it for a token's `iss`;
- GET /jwks.json: the RSA public key (kid, n, e) the issuer signs with;
- POST /token: an OAuth 2.0 client-credentials token endpoint (RFC 6749 4.4; client id and secret
  in HTTP Basic, or in the form as client_id/client_secret), as librdkafka's
  sasl.oauthbearer.method=oidc and Kafka's OAuthBearerLoginCallbackHandler call it. Each client
  id is given a function that makes its access token: an RS256 token of this issuer, or any other
  (an HS256 Pulsar token, so that kcat can do OAUTHBEARER with Pulsar's token provider).

RS256 signatures come from `openssl dgst -sha256 -sign` with a key `openssl genrsa` made for this
run. Tokens are never logged (the server's request log is off).
"""
import base64
import json
import os
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class RsaKey:
    """An RSA key made with openssl in `directory`: its JWK and RS256 signatures."""

    def __init__(self, directory, name):
        self.path = os.path.join(directory, f"{name}.pem")
        subprocess.run(["openssl", "genrsa", "-out", self.path, "2048"], check=True, capture_output=True)
        os.chmod(self.path, 0o600)
        modulus = subprocess.run(["openssl", "rsa", "-in", self.path, "-noout", "-modulus"], check=True,
                                 capture_output=True, text=True).stdout.strip().split("=", 1)[1]
        self.kid = name
        self.jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": name,
                    "n": b64url(bytes.fromhex(modulus)), "e": b64url((65537).to_bytes(3, "big"))}

    def sign(self, claims, kid=None):
        header = {"alg": "RS256", "typ": "JWT", "kid": kid or self.kid}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.path], input=signing_input.encode(),
                             check=True, capture_output=True).stdout
        return signing_input + "." + b64url(sig)


class Issuer:
    """The issuer at http://127.0.0.1:<port>. `clients` maps a client id to (secret, make_token)."""

    def __init__(self, directory, audience, name="oidc-issuer"):
        self.key = RsaKey(directory, name)
        self.audience = audience
        self.clients = {}
        self.token_requests = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):  # no request log: a token must not reach any log
                pass

            def _json(self, status, obj):
                body = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 (http.server's name)
                if self.path == "/.well-known/openid-configuration":
                    self._json(200, {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks.json",
                                     "token_endpoint": issuer.url + "/token",
                                     "grant_types_supported": ["client_credentials"],
                                     "id_token_signing_alg_values_supported": ["RS256"]})
                elif self.path == "/jwks.json":
                    self._json(200, {"keys": [issuer.key.jwk]})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self):  # noqa: N802
                length = min(int(self.headers.get("Content-Length") or 0), 65536)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode(errors="replace"))
                client_id = (form.get("client_id") or [""])[0]
                secret = (form.get("client_secret") or [""])[0]
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    try:
                        client_id, secret = base64.b64decode(auth[6:]).decode().split(":", 1)
                    except (ValueError, UnicodeDecodeError):
                        pass
                client_id, secret = urllib.parse.unquote(client_id), urllib.parse.unquote(secret)
                entry = issuer.clients.get(client_id)
                if self.path != "/token" or (form.get("grant_type") or [""])[0] != "client_credentials":
                    self._json(400, {"error": "unsupported_grant_type"})
                elif entry is None or entry[0] != secret:
                    self._json(401, {"error": "invalid_client"})
                else:
                    issuer.token_requests += 1
                    self._json(200, {"access_token": entry[1](), "token_type": "Bearer", "expires_in": 3600})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def claims(self, sub, lifetime=3600, **overrides):
        now = int(time.time())
        c = {"iss": self.url, "sub": sub, "aud": self.audience, "iat": now, "nbf": now - 5, "exp": now + lifetime}
        c.update(overrides)
        return c

    def token(self, sub, lifetime=3600, **overrides):
        """An RS256 token of this issuer for `sub` (claims overridden by keyword)."""
        return self.key.sign(self.claims(sub, lifetime, **overrides))

    def close(self):
        self.server.shutdown()
        self.server.server_close()
