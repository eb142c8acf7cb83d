"""Every error leaves as `{"error": "<sentence>"}`; nothing else leaks (no trace, no SQL)."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger("rr.errors")


class ServiceError(Exception):
    """A business rule refused the request; carries the HTTP status to answer with."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message, *, status_code=None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class NotFound(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND


class Conflict(ServiceError):
    status_code = status.HTTP_409_CONFLICT


class Forbidden(ServiceError):
    status_code = status.HTTP_403_FORBIDDEN


class Unauthorized(ServiceError):
    status_code = status.HTTP_401_UNAUTHORIZED


def _first_message(detail):
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


def error_body(message, **extra):
    return {"error": message, **extra}


def exception_handler(exc, context):
    """DRF's hook: turns every known failure into a JSON 4xx/503 and rolls the request back."""
    request = context.get("request")
    request_id = getattr(getattr(request, "_request", None), "request_id", None)
    extra = {"request_id": request_id} if request_id else {}

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE; left to
        # Django it would be a bare 400 "Bad request." that does not say why.
        set_rollback()
        return Response(
            error_body(f"Request body too large: at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.", **extra),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )

    if isinstance(exc, ServiceError):
        set_rollback()
        return Response(error_body(exc.message, **extra), status=exc.status_code)

    if isinstance(exc, exceptions.APIException):
        set_rollback()
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        body = error_body(_first_message(exc.detail), **extra)
        if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
            body["fields"] = exc.detail
        if isinstance(exc, exceptions.Throttled):
            body["error"] = "Too many requests: try again later."
        return Response(body, status=exc.status_code, headers=headers)

    if isinstance(exc, (OperationalError, InterfaceError)):
        # The connection died or the server is unreachable: nothing was committed.
        set_rollback()
        logger.error("database unavailable", exc_info=exc)
        return Response(
            error_body("The service is temporarily unavailable; please retry.", **extra),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    return None


def json_error_view(status_code, message):
    def view(request, exception=None):
        body = error_body(message)
        request_id = getattr(request, "request_id", None)
        if request_id:
            body["request_id"] = request_id
        return JsonResponse(body, status=status_code)

    return view


handler400 = json_error_view(400, "Bad request.")
handler403 = json_error_view(403, "Forbidden.")
handler404 = json_error_view(404, "Not found.")
handler500 = json_error_view(500, "Internal server error.")
