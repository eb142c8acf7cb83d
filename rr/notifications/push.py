"""The push sender: every Web Push request leaves through here, to vetted addresses only.

pywebpush does the protocol (RFC 8030 delivery, RFC 8291 aes128gcm encryption, RFC 8292
VAPID); this module decides where it may go and what a push service's answer means
(docs/OPERATIONS.md, "Reminders and Web Push", items 3 and 4):

- An endpoint is `https://` on a host whose every address is public, checked when it is
  stored (endpoint_check: a 400) and again when the connection opens (_VettedConnection:
  no DNS rebinding). No redirects, no environment proxies. WEBPUSH_TEST_ORIGIN (off by
  default) lets the tests' loopback push service in, nothing else.
- 2xx: the message row goes. 404/410: the subscription's row goes, its messages with it.
  429, 5xx or no answer: retried after Retry-After or BACKOFF, up to MAX_ATTEMPTS.
  Anything else: dropped, logged.

Nothing here raises to a caller because of a push service's answer: a nudge or a
reminder has committed before its messages are sent (rr/notifications/services.py).
"""

import ipaddress
import json
import logging
import socket
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from py_vapid import Vapid, VapidException, b64urlencode
from pywebpush import WebPushException, webpush
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from rr.common.errors import ServiceError
from rr.notifications.models import PushMessage, PushSubscription

logger = logging.getLogger("rr.notifications")

# Connect and read timeouts of one push request (seconds).
TIMEOUT = (3.05, 10)
# How long a message stays claimed by one sender: longer than a request can take.
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 6
# Before attempt n+1: 1, 4, 16, 64 then 256 minutes (about 5.7 hours in all).
BACKOFF = timedelta(minutes=1)
BACKOFF_FACTOR = 4
# How long a push service keeps a message for a device that is offline (the TTL header).
TTL_SECONDS = 6 * 3600
BATCH = 100


class PushNotConfigured(ServiceError):
    status_code = 503
    default_code = "push_not_configured"


class UnsafeEndpoint(ValueError):
    """An endpoint the server will not send to (see the module docstring)."""


def vapid() -> Vapid:
    """The server's VAPID key (VAPID_PRIVATE_KEY); PushNotConfigured without one."""
    raw = settings.VAPID_PRIVATE_KEY
    if not raw:
        raise PushNotConfigured(
            "Push notifications are not set up on this server (VAPID_PRIVATE_KEY).", code="push_not_configured"
        )
    try:
        return Vapid.from_string(private_key=raw)
    except (ValueError, TypeError, VapidException) as exc:
        raise PushNotConfigured(
            "Push notifications are not set up on this server: VAPID_PRIVATE_KEY is not a key"
            " (make a pair with manage.py vapid_keys).",
            code="push_not_configured",
        ) from exc


def vapid_public_key() -> str:
    """The application server key a browser subscribes with: base64url, uncompressed P-256 point."""
    return b64urlencode(vapid().public_key.public_bytes(encoding=Encoding.X962, format=PublicFormat.UncompressedPoint))


def vapid_new_pair() -> tuple[str, str]:
    """A new (private, public) key pair, both base64url, as VAPID_PRIVATE_KEY takes them."""
    key = Vapid()
    key.generate_keys()
    number = key.private_key.private_numbers().private_value.to_bytes(32, "big")
    return b64urlencode(number), b64urlencode(
        key.public_key.public_bytes(encoding=Encoding.X962, format=PublicFormat.UncompressedPoint)
    )


# Where an endpoint may point.


def _test_origin() -> tuple[str, str | None, int | None] | None:
    origin = settings.WEBPUSH_TEST_ORIGIN
    if not origin:
        return None
    parts = urlsplit(origin)
    return parts.scheme, parts.hostname, parts.port


def _is_test_peer(scheme: str, host: str | None, port: int | None) -> bool:
    test = _test_origin()
    return test is not None and (scheme, host, port) == test


def _public(address: str | int) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int | None) -> list[Any]:  # addresses as getaddrinfo gives them
    """Every address `host` resolves to, each public; UnsafeEndpoint otherwise."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeEndpoint(f"The endpoint's host {host} does not resolve.") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses or not all(_public(address) for address in addresses):
        raise UnsafeEndpoint(f"The endpoint's host {host} is not on a public address.")
    return addresses


def endpoint_check(endpoint: str) -> str:
    """The endpoint if the server may send to it; ServiceError (400 `endpoint_not_allowed`) if not."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
        host = parts.hostname
    except ValueError:
        host = None
    if host is None or parts.username is not None or parts.password is not None:
        raise ServiceError("endpoint must be an absolute URL without credentials.", field="endpoint")
    if _is_test_peer(parts.scheme, host, port):
        return endpoint
    if parts.scheme != "https":
        raise ServiceError(
            "endpoint must be an https:// URL of a push service.", code="endpoint_not_allowed", field="endpoint"
        )
    try:
        _resolve(host, port)
    except UnsafeEndpoint as exc:
        raise ServiceError(str(exc), code="endpoint_not_allowed", field="endpoint") from exc
    return endpoint


class _VettedConnection:
    # Resolves the host itself and connects only to a vetted address. The Host header,
    # SNI and certificate check keep the name (urllib3 takes them from self.host).
    scheme = "https"
    # HTTPConnection's, which this class is always mixed into.
    host: str
    port: int
    timeout: Any
    source_address: tuple[str, int] | None
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        if _is_test_peer(self.scheme, self.host, self.port):
            addresses: list[Any] = [self.host]
        elif self.scheme != "https":
            raise UnsafeEndpoint("Push requests go over https only.")
        else:
            addresses = _resolve(self.host, self.port)
        try:
            return urllib3_connection.create_connection(
                (addresses[0], self.port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc  # type: ignore[arg-type]  # an HTTPConnection


class _VettedHTTPSConnection(_VettedConnection, HTTPSConnection):
    scheme = "https"


class _VettedHTTPConnection(_VettedConnection, HTTPConnection):
    scheme = "http"


class _VettedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _VettedHTTPSConnection


class _VettedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _VettedHTTPConnection


class _VettedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _VettedHTTPPool, "https": _VettedHTTPSPool}


class _PushSession(requests.Session):
    # pywebpush posts through this session: no redirect is followed (a 3xx is an answer),
    # no proxy or .netrc from the environment.
    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        self.mount("https://", _VettedAdapter())
        self.mount("http://", _VettedAdapter())

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


# Sending.


def _status_of(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    return None if response is None else response.status_code


def _retry_after(exc: Exception | None, now: datetime) -> timedelta | None:
    response = getattr(exc, "response", None)
    value = response is not None and response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=min(int(value), 86400))
    try:
        return max(parsedate_to_datetime(value) - now, timedelta(0))
    except (TypeError, ValueError):
        return None


def send_one(
    subscription: PushSubscription, payload: dict[str, Any], *, key: Vapid, session: requests.Session
) -> tuple[int | None, Exception | None]:
    """POST one encrypted notification; the push service's status (None: no answer)."""
    claims = {"sub": settings.VAPID_SUBJECT}
    try:
        response = webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(payload),
            vapid_private_key=key,
            vapid_claims=claims,
            ttl=TTL_SECONDS,
            timeout=TIMEOUT,
            requests_session=session,
        )
        return response.status_code, None
    except WebPushException as exc:
        return _status_of(exc), exc
    except requests.RequestException as exc:
        return None, exc


def _claim(now: datetime, ids: list[int] | None = None) -> list[tuple[int, int, dict[str, Any], int]]:
    """Up to BATCH messages due by `now` (or among `ids`), leased to this sender (SKIP LOCKED)."""
    only = "AND id = ANY(%(ids)s)" if ids is not None else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE rr_push_message SET attempts = attempts + 1, next_attempt_at = %(lease)s
            WHERE id IN (
                SELECT id FROM rr_push_message WHERE next_attempt_at <= %(now)s {only}
                ORDER BY next_attempt_at LIMIT %(batch)s FOR UPDATE SKIP LOCKED
            )
            RETURNING id, subscription_id, payload, attempts
            """,
            {"now": now, "lease": now + LEASE, "batch": BATCH, "ids": ids},
        )
        # Django reads jsonb as text (its JSONField decodes it), so raw SQL gets a string.
        return [(id_, sub, json.loads(payload), attempts) for id_, sub, payload, attempts in cursor.fetchall()]


def push_deliver(*, now: datetime | None = None, ids: list[int] | None = None) -> dict[str, int]:
    """Send the queued messages due by `now` (default: now), or only those of `ids`.

    Returns {"sent", "retry", "gone", "dropped"} counts. Several senders at once each
    take other rows (the lease of _claim), so a message is posted once per attempt.
    """
    now = now or timezone.now()
    outcome = {"sent": 0, "retry": 0, "gone": 0, "dropped": 0}
    if ids is not None and not ids:
        return outcome
    try:
        key = vapid()
    except PushNotConfigured:
        logger.warning("push not configured: VAPID_PRIVATE_KEY is not set; messages stay queued")
        return outcome
    with _PushSession() as session:
        while True:
            claimed = _claim(now, ids)
            if not claimed:
                return outcome
            subscriptions = PushSubscription.objects.in_bulk([row[1] for row in claimed])
            for message_id, subscription_id, payload, attempts in claimed:
                subscription = subscriptions.get(subscription_id)
                if subscription is None:
                    continue  # unsubscribed meanwhile: its messages went with it
                outcome[_settle(message_id, subscription, payload, attempts, key, session, now)] += 1
            if ids is not None:
                return outcome


def _settle(
    message_id: int,
    subscription: PushSubscription,
    payload: dict[str, Any],
    attempts: int,
    key: Vapid,
    session: requests.Session,
    now: datetime,
) -> str:
    try:
        status, error = send_one(subscription, payload, key=key, session=session)
    except UnsafeEndpoint as exc:
        logger.warning("push endpoint refused, subscription removed: %s", exc)
        PushSubscription.objects.filter(pk=subscription.pk).delete()
        return "gone"
    log = {"subscription_id": subscription.pk, "status": status, "attempt": attempts}
    if status is not None and 200 <= status < 300:
        PushMessage.objects.filter(pk=message_id).delete()
        return "sent"
    if status in (404, 410):
        logger.info("push subscription expired, removed", extra=log)
        PushSubscription.objects.filter(pk=subscription.pk).delete()
        return "gone"
    if status is None or status == 429 or status >= 500:
        if attempts < MAX_ATTEMPTS:
            wait = max(BACKOFF * BACKOFF_FACTOR ** (attempts - 1), _retry_after(error, now) or timedelta(0))
            PushMessage.objects.filter(pk=message_id).update(next_attempt_at=now + wait)
            logger.info("push failed, retried later: %s", error, extra=log)
            return "retry"
    logger.warning("push failed, message dropped: %s", error, extra=log)
    PushMessage.objects.filter(pk=message_id).delete()
    return "dropped"
