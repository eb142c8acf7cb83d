import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import DisallowedHost
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from rr.common.logging import request_id_var

logger = logging.getLogger("rr.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

# What a middleware is handed: the rest of the chain (a view's answer in the end).
GetResponse = Callable[[HttpRequest], HttpResponse]


class RequestLogMiddleware:
    """Gives each request an id (from `X-Request-ID` when sane), echoes it, logs one line.

    Outermost, so the line covers every other middleware and even the answers that
    never reach a view (health checks, refused hosts). The trace of an unhandled
    error is logged by `django.request` (see LOGGING), with the same request id.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # read by rr.common.errors._request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            extra: dict[str, Any] = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": _user_id(request),
            }
            level = logging.ERROR if response.status_code >= 500 else logging.INFO
            refused_host = _refused_host(request) if response.status_code == 400 else None
            if refused_host is not None:
                # Django's own record of it (django.security.DisallowedHost, an ERROR with a
                # trace) is silenced in LOGGING: a scanner's bad Host is one WARNING line.
                level, extra["refused_host"] = logging.WARNING, refused_host
            logger.log(level, "request", extra=extra)
            return response
        finally:
            request_id_var.reset(token)


def _refused_host(request: HttpRequest) -> str | None:
    """The Host header as sent (shortened) when it is not an allowed host, else None."""
    try:
        request.get_host()
    except DisallowedHost:
        return request.META.get("HTTP_HOST", "")[:255]
    return None


def _user_id(request: HttpRequest) -> int | None:
    # DRF puts the token's user on the request once its view authenticated it; None for
    # anonymous requests and for those answered before authentication ran. The session's
    # user (web pages) is lazy: read only if the view read it, so the log line never
    # queries the database (which may be the very thing that failed).
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return user.pk if user is not None and user.is_authenticated else None


SAFE_READS = ("GET", "HEAD")


def _lost_connections() -> list[str]:
    """The aliases whose connection the server closed during this request (terminated,
    restarted, a pooler's server connection that crashed): the wrapper still holds it."""
    return [
        wrapper.alias
        for wrapper in connections.all(initialized_only=True)
        if wrapper.connection is not None and wrapper.connection.closed
    ]


class SafeReadRetryMiddleware:
    """A GET or HEAD that lost its database connection is run once more on a fresh one.

    A connection dies under a request when the primary restarts or fails over, or an
    operator terminates it: the request answers 503 (rr/common/errors.py) and nothing was
    written. A safe read can simply run again; nothing of the answer has been sent yet
    (the WSGI response leaves only when the middleware returns). The dead connection is
    closed first, so the second run connects afresh. Once only: a database that stays
    down answers 503 as before. Writes are never retried here (a client's retry with its
    idempotency key is the safe way). Tested in tests/hardening/test_read_retry.py.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in SAFE_READS or response.status_code != 503:
            return response
        lost = _lost_connections()
        if not lost:
            return response
        for alias in lost:
            connections[alias].close()
        logger.warning("database connection lost; read retried", extra={"aliases": lost, "path": request.path})
        return self.get_response(request)
