"""Every error leaves here, in one shape; nothing else leaks (no trace, no SQL).

    {"error": "<a sentence>", "code": "<stable snake_case id>", "fields": {...}, "request_id": "..."}

`error` and `code` are always there; `fields` ({field: [sentences]}) is on every 400
(empty when no single field is to blame, e.g. a body that does not parse). Clients
branch on `code`, never on the sentence. docs/API.md lists the codes per endpoint.

drf-standardized-errors was considered: its shape ({"type", "errors": [{code, detail,
attr}]}) is not the one the shipped client reads (`error`), so the shape lives here.
"""

import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger("rr.errors")

CODE_FORMAT = re.compile(r"^[a-z][a-z0-9_]*$")


class ServiceError(Exception):
    """A business rule refused the request: a sentence, a stable `code` and an HTTP status.

    `field` names the request field to blame (a 400 then lists it under `fields`).
    Each kind below has its status and a default code; raise sites pass the specific
    code a client can branch on (`already_following`, `day_closed`, ...).
    """

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_field"

    def __init__(
        self, message: str, *, code: str | None = None, field: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        if status_code is not None:
            self.status_code = status_code
        assert CODE_FORMAT.match(self.code), self.code


class NotFound(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"


class Conflict(ServiceError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Forbidden(ServiceError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "forbidden"


class Unauthorized(ServiceError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "not_authenticated"


# DRF's own exceptions, by class, and the codes they answer with. Anything unlisted
# keeps DRF's default_code (already snake_case).
_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "invalid_field",
    exceptions.ParseError: "malformed_body",
    exceptions.Throttled: "rate_limited",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "token_invalid",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.PermissionDenied: "forbidden",
}


def _drf_code(exc: exceptions.APIException) -> str:
    for cls in type(exc).__mro__:
        if cls in _DRF_CODES:
            return _DRF_CODES[cls]
    return getattr(exc, "default_code", "error")


def _first_message(detail: Any) -> str:
    """The first human sentence in a DRF error detail, prefixed with its field."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            if field in ("non_field_errors", "detail"):
                return message
            return f"{field}: {message}"
        return "Invalid input."
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "Invalid input."
    return str(detail)


def _fields(detail: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """DRF's validation detail as {field: [sentences]} (plain strings, JSON-ready); a nested
    field is named by its path, e.g. `keys.p256dh` (an item of a list: `items.0.description`)."""
    fields: dict[str, list[str]] = {}
    for field, value in detail.items():
        name = f"{prefix}{field}"
        if isinstance(value, dict):
            fields.update(_fields(value, f"{name}."))
            continue
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, dict):
                fields.update(_fields(item, f"{name}.{index}."))
            elif item:
                fields.setdefault(name, []).append(str(item))
    return fields


def error_body(
    message: str,
    code: str,
    *,
    fields: dict[str, list[str]] | None = None,
    status_code: int | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The one error shape. `fields` is always present on a 400."""
    body: dict[str, Any] = {"error": message, "code": code}
    if fields is not None or status_code == status.HTTP_400_BAD_REQUEST:
        body["fields"] = fields or {}
    if request_id:
        body["request_id"] = request_id
    return body


def _request_id(request: Any) -> str | None:
    return getattr(getattr(request, "_request", request), "request_id", None)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's hook: turns every known failure into a JSON 4xx/503 and rolls the request back."""
    request_id = _request_id(context.get("request"))

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE; left to
        # Django it would be a bare 400 "Bad request." that does not say why.
        set_rollback()
        message = f"Request body too large: at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        return Response(
            error_body(message, "body_too_large", request_id=request_id),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )

    fields: dict[str, list[str]] | None
    if isinstance(exc, ServiceError):
        set_rollback()
        fields = {exc.field: [exc.message]} if exc.field else None
        body = error_body(exc.message, exc.code, fields=fields, status_code=exc.status_code, request_id=request_id)
        return Response(body, status=exc.status_code)

    if isinstance(exc, exceptions.APIException):
        set_rollback()
        headers: dict[str, str] = {}
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)
        if wait is not None:
            headers["Retry-After"] = str(max(1, int(wait + 0.999)))
        message = _first_message(exc.detail)
        fields = None
        if isinstance(exc, exceptions.ValidationError):
            fields = _fields(exc.detail) if isinstance(exc.detail, dict) else {}
            fields.pop("non_field_errors", None)
        if isinstance(exc, exceptions.Throttled):
            message = "Too many requests: try again later."
        body = error_body(message, _drf_code(exc), fields=fields, status_code=exc.status_code, request_id=request_id)
        return Response(body, status=exc.status_code, headers=headers)

    if isinstance(exc, (OperationalError, InterfaceError)):
        # The connection died or the server is unreachable: nothing was committed.
        set_rollback()
        logger.error("database unavailable", exc_info=exc)
        return Response(
            error_body(
                "The service is temporarily unavailable; please retry.", "service_unavailable", request_id=request_id
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    return None


def json_error_view(status_code: int, message: str, code: str) -> Callable[..., JsonResponse]:
    def view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
        body = error_body(message, code, status_code=status_code, request_id=_request_id(request))
        return JsonResponse(body, status=status_code)

    return view


handler400 = json_error_view(400, "Bad request.", "bad_request")
handler403 = json_error_view(403, "Forbidden.", "forbidden")
handler404 = json_error_view(404, "Not found.", "not_found")
handler500 = json_error_view(500, "Internal server error.", "server_error")
