"""Shared pieces of the HTTP layer: base views, error documentation, pagination."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": serializers.CharField(help_text="A sentence a person can read."),
        "code": serializers.CharField(
            help_text="A stable snake_case identifier to branch on (docs/API.md lists them)."
        ),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="On every 400: {field: [sentences]}, empty when no single field is to blame.",
        ),
        "request_id": serializers.CharField(required=False),
    },
)


# Every endpoint can answer these: it parses any body it is sent (BodyCheckedAPIView),
# Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE, and a lost database is a 503.
ALWAYS = (400, 413, 503)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI entries for the error statuses an endpoint can answer (ALWAYS included)."""
    descriptions = {
        400: "Invalid input.",
        401: "Missing, invalid or expired credentials.",
        403: "Not allowed.",
        404: "Not found (or not yours).",
        409: "Conflicts with the current state.",
        413: "Request body too large.",
        429: "Rate limit exceeded; see Retry-After.",
        503: "Database temporarily unavailable; see Retry-After.",
    }
    return {
        code: OpenApiResponse(ErrorSerializer, description=descriptions[code])
        for code in sorted(set(codes) | set(ALWAYS))
    }


def error_example(
    code: str, status: int, message: str, *, fields: dict[str, list[str]] | None = None
) -> OpenApiExample:
    """An OpenAPI example of an error response: its real body, with its code."""
    body: dict[str, Any] = {"error": message, "code": code}
    if status == 400:
        body["fields"] = fields or {}
    return OpenApiExample(code, value=body, response_only=True, status_codes=[str(status)])


class BodyCheckedAPIView(APIView):
    # Every endpoint parses a request body it was sent, even one it has no use for,
    # so a malformed body is a 400 everywhere instead of being ignored by some
    # endpoints and acted upon. Runs after authentication: no token is still a 401.
    # (Comments, not docstrings: drf-spectacular would copy a docstring into the
    # description of every endpoint built on these classes.)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        request.data  # noqa: B018 -- parsed here for its errors; the views read the cached result


class AuthenticatedAPIView(BodyCheckedAPIView):
    # Base for /api/: JWT bearer required.
    permission_classes = [IsAuthenticated]


class PublicAPIView(BodyCheckedAPIView):
    # Base for the /auth/ endpoints that work without an access token.
    authentication_classes = []
    permission_classes = [AllowAny]


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """Validate a request body with `serializer_class`; a 400 on anything wrong."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": ["The body must be a JSON object."]})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
