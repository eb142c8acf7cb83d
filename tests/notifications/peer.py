"""A Web Push service on loopback for the tests: it receives the server's real requests.

Each POST to /push/<id> is checked the way a push service and a browser would: the VAPID
`Authorization: vapid t=<JWT>, k=<key>` header (RFC 8292) must carry the server's public
key and an ES256 JWT signed by it whose claims are right (`aud` this origin, `exp` in the
next 24 hours, `sub` the configured subject); the body must be aes128gcm (RFC 8188/8291)
and is decrypted with the browser-side private key the test generated when subscribing.
Signature checks use `cryptography`, decryption `http_ece`: the libraries pywebpush
builds on, not pywebpush itself. Every request is recorded; answers are scripted per id.
"""

import base64
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserKeys:
    """What a browser generates for a subscription: an ECDH P-256 key pair and an auth secret."""

    private: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self):
        return b64url(self.private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


@dataclass
class Received:
    endpoint_id: str
    status: int  # what the peer answered
    payload: dict | None
    claims: dict | None
    headers: dict
    problem: str | None  # why the request was refused (None: valid)


class PushPeer:
    def __init__(self, *, vapid_public_key, subject):
        self.vapid_public_key = vapid_public_key
        self.subject = subject
        self.keys = {}  # endpoint id -> BrowserKeys
        self.scripted = {}  # endpoint id -> [statuses to answer next]
        self.received = []
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                peer._handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def new_endpoint(self, *statuses):
        """A fresh endpoint URL with its browser keys; it answers `statuses` first, then 201."""
        endpoint_id = uuid.uuid4().hex
        self.keys[endpoint_id] = BrowserKeys()
        self.scripted[endpoint_id] = list(statuses)
        return f"{self.origin}/push/{endpoint_id}", self.keys[endpoint_id]

    def subscription_body(self, *statuses):
        endpoint, keys = self.new_endpoint(*statuses)
        return {"endpoint": endpoint, "keys": {"p256dh": keys.p256dh, "auth": b64url(keys.auth)}}

    def delivered(self, endpoint_id=None):
        """The valid requests answered with a 2xx (for one endpoint id, or all)."""
        with self.lock:
            return [
                r
                for r in self.received
                if r.problem is None and 200 <= r.status < 300 and endpoint_id in (None, r.endpoint_id)
            ]

    def wait_delivered(self, count, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.delivered()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.delivered())} push(es) delivered, expected {count}: {self.received}")
            time.sleep(0.05)
        return self.delivered()

    # One request.

    def _check_vapid(self, authorization):
        scheme, _, params = (authorization or "").partition(" ")
        if scheme.lower() != "vapid":
            return None, "no vapid Authorization"
        values = dict(part.strip().split("=", 1) for part in params.split(","))
        if values.get("k") != self.vapid_public_key:
            return None, "k is not the server's VAPID public key"
        header, claims, signature = values["t"].split(".")
        if json.loads(unb64url(header)) != {"typ": "JWT", "alg": "ES256"}:
            return None, "JWT header is not ES256"
        raw = unb64url(signature)
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(values["k"]))
        try:
            key.verify(
                encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                f"{header}.{claims}".encode(),
                ec.ECDSA(hashes.SHA256()),
            )
        except InvalidSignature:
            return None, "JWT signature does not verify"
        claims = json.loads(unb64url(claims))
        if claims.get("aud") != self.origin:
            return claims, f"aud {claims.get('aud')!r} is not {self.origin!r}"
        if not time.time() < claims.get("exp", 0) <= time.time() + 86400:
            return claims, "exp is not within the next 24 hours"
        if claims.get("sub") != self.subject:
            return claims, f"sub {claims.get('sub')!r} is not {self.subject!r}"
        return claims, None

    def _handle(self, request):
        endpoint_id = request.path.rsplit("/", 1)[-1]
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in request.headers.items()}
        claims, problem, payload = None, None, None
        keys = self.keys.get(endpoint_id)
        if keys is None:
            status, problem = 404, "unknown endpoint"
        else:
            claims, problem = self._check_vapid(headers.get("authorization"))
            if problem is None and headers.get("content-encoding") != "aes128gcm":
                problem = f"content-encoding {headers.get('content-encoding')!r}"
            if problem is None and not headers.get("ttl", "").isdigit():
                problem = "no TTL"
            if problem is None:
                try:
                    plain = http_ece.decrypt(body, private_key=keys.private, auth_secret=keys.auth, version="aes128gcm")
                    payload = json.loads(plain)
                except Exception as exc:  # any failure to decrypt is the finding itself
                    problem = f"cannot decrypt: {exc!r}"
            with self.lock:
                scripted = self.scripted.get(endpoint_id) or []
                status = 400 if problem else (scripted.pop(0) if scripted else 201)
        with self.lock:
            self.received.append(Received(endpoint_id, status, payload, claims, headers, problem))
        request.send_response(status)
        if 300 <= status < 400:
            request.send_header("Location", f"{self.origin}/push/redirected")
        request.send_header("Content-Length", "0")
        request.end_headers()
