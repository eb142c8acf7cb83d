"""How the OpenAPI schema reads: tags in the order a client meets them, /health/, and
realistic error examples (a body with its code) on every error response.

Endpoint-specific examples live with each endpoint (extend_schema); this hook adds what
every operation shares, so that no error response shows "string" / "additionalProp1".
"""

from typing import Any

from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

TAGS = [
    {"name": "accounts", "description": "Sign up or log in, tokens, password. Start here."},
    {"name": "checklists", "description": "The day's checklist, its regrets, ticks and score."},
    {"name": "network", "description": "Follow people and see their regret index."},
    {"name": "reminders", "description": "A daily reminder and nudges by Web Push: the VAPID key, subscriptions."},
    {"name": "health", "description": "Is the service up? (no token)"},
]
TAG_ORDER = {tag["name"]: index for index, tag in enumerate(TAGS)}
# Within a tag, these come first (the rest by path): a client signs up before anything else.
FIRST_PATHS = ["/auth/user/", "/auth/jwt/refresh/", "/api/checklists/"]

# The error each status answers when nothing more specific applies.
GENERIC_ERRORS = {
    400: ("invalid_field", "description: This field is required.", {"description": ["This field is required."]}),
    401: ("not_authenticated", "Authentication credentials were not provided.", None),
    403: ("forbidden", "You do not have permission to perform this action.", None),
    404: ("not_found", "Not found.", None),
    409: ("conflict", "Conflicts with the current state.", None),
    413: ("body_too_large", "Request body too large: at most 65536 bytes.", None),
    429: ("rate_limited", "Too many requests: try again later.", None),
    503: ("service_unavailable", "The service is temporarily unavailable; please retry.", None),
}

# Specific errors by operation and status (the generic one otherwise).
SPECIFIC_ERRORS = {
    ("account_create_or_login", 401): ("invalid_credentials", "Invalid username or password."),
    ("account_create_or_login", 409): ("username_taken", "Username taken. Send its password to log in."),
    ("account_password_set", 401): ("wrong_current_password", "Current password is wrong."),
    ("token_refresh", 401): ("token_invalid", "Refresh token is invalid, expired or revoked."),
    ("token_revoke", 401): ("token_invalid", "Refresh token is invalid, expired or revoked."),
    ("network_validate", 403): ("networking_disabled", "alice does not allow networking."),
    ("network_validate", 404): ("user_not_found", "No such user."),
    ("network_validate", 409): ("already_following", "You already follow alice."),
    ("network_follow", 403): ("networking_disabled", "alice does not allow networking."),
    ("network_follow", 404): ("user_not_found", "No such user."),
    ("network_follow", 409): ("already_following", "You already follow alice."),
    ("network_unfollow", 404): ("not_following", "You do not follow alice."),
    ("network_follower_remove", 404): ("not_a_follower", "alice does not follow you."),
}

# Request and success examples of the operations defined outside rr/checklists (whose
# examples sit with their views).
REQUEST_EXAMPLES = {
    "account_create_or_login": {"username": "mobiledev", "password": "correct horse battery"},
    "account_password_set": {"password": "a new sturdy passphrase", "current_password": "correct horse battery"},
    "network_settings_set": {"follow_approval": True, "daily_goal": 0.25},
    "token_refresh": {"refresh": "eyJhbGciOiJIUzI1NiIs…"},
    "token_revoke": {"refresh": "eyJhbGciOiJIUzI1NiIs…"},
    "account_recover": {
        "username": "mobiledev",
        "code": "K7Q4M-2XKDH-9PLFW-RT3CE",
        "password": "a new sturdy passphrase",
    },
}
ENTRY = {
    "id": 42,
    "username": "alice",
    "regret_index": 0.25,
    "checklist_created_at": "2025-06-18T17:00:00Z",
    "allow_networking": True,
    "followers_count": 12,
    "following_count": 7,
    "date_joined": "2025-01-03T09:12:44Z",
    "you_follow": True,
    "follows_you": False,
    "current_streak": 4,
    "strength": 0.6241,
    "nudged_today": False,
    "kept_today": False,
}
ACCOUNT = {
    "id": 7,
    "username": "mobiledev",
    "is_active": True,
    "allow_networking": True,
    "followers_count": 0,
    "following_count": 0,
    "password_set": True,
    "date_joined": "2025-06-18T16:58:02Z",
    "tokens": {"refresh": "eyJhbGciOiJIUzI1NiIs…", "access": "eyJhbGciOiJIUzI1NiIs…"},
}
TOKENS = ACCOUNT["tokens"]
RESPONSE_EXAMPLES = {
    ("token_refresh", 200): TOKENS,
    ("token_revoke", 200): {"message": "Logged out."},
    ("account_password_set", 200): {"message": "Password set. Every other session has ended.", "tokens": TOKENS},
    ("account_recover", 200): ACCOUNT,
    ("session_list", 200): [
        {
            "id": 31,
            "created_at": "2025-06-18T16:58:02Z",
            "last_used_at": "2025-06-19T07:12:40Z",
            "client": "RegretRegret/2.3 (iPhone; iOS 17.5)",
            "current": True,
        },
        {
            "id": 27,
            "created_at": "2025-06-02T19:20:11Z",
            "last_used_at": "2025-06-15T21:03:09Z",
            "client": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0",
            "current": False,
        },
    ],
    ("session_end", 200): {"message": "Session ended."},
    ("sessions_end_others", 200): {"message": "1 other session(s) ended.", "ended": 1},
    ("account_create_or_login", 201): ACCOUNT,
    ("account_create_or_login", 200): ACCOUNT,
    ("account_get", 200): {field: value for field, value in ACCOUNT.items() if field != "tokens"},
    ("network_validate", 200): {
        "username": "alice",
        "user_id": 42,
        "allow_networking": True,
        "requires_approval": False,
    },
    ("network_follow", 201): {"message": "You now follow alice.", "network_id": 1234, "following": ENTRY},
    ("network_follow", 202): {"message": "You asked to follow alice; they will see your request.", "request_id": 80},
    ("network_follower_remove", 200): {"message": "alice no longer follows you."},
    ("network_settings_get", 200): {
        "allow_networking": True,
        "follow_approval": False,
        "daily_goal": 0.0,
        "message": "Networking is on: others can follow you and see your regret index.",
    },
    ("network_settings_set", 200): {
        "allow_networking": True,
        "follow_approval": True,
        "daily_goal": 0.25,
        "message": "Networking is on with approval: follows are requests you accept; only followers see your index.",
    },
    ("network_unfollow", 200): {"message": "You no longer follow alice."},
    ("network_list", 200): {"list_type": "following", "count": 1, "users": [ENTRY], "next_cursor": None},
}

HEALTH = {
    "get": {
        "operationId": "health",
        "summary": "200 when the database answers (status `degraded` when Redis does not), else 503",
        "tags": ["health"],
        "security": [],
        "responses": {
            "200": {
                "description": "Healthy.",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Health"},
                        "example": {"status": "ok", "checks": {"database": "ok", "redis": "ok"}},
                    }
                },
            },
            "503": {
                "description": "The database is unavailable.",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Health"},
                        "example": {
                            "status": "unavailable",
                            "checks": {"database": "ok", "redis": "unavailable"},
                            "error": "A dependency is unavailable: redis",
                            "code": "service_unavailable",
                        },
                    }
                },
            },
        },
    }
}
HEALTH_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded", "unavailable"]},
        "checks": {"type": "object", "additionalProperties": {"type": "string"}},
        "degraded": {"type": "array", "items": {"type": "string"}},
        "replica_lag_seconds": {"type": "number", "nullable": True},
        "error": {"type": "string"},
        "code": {"type": "string", "enum": ["service_unavailable"]},
    },
    "required": ["status", "checks"],
}


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None, status: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message, "code": code}
    if status == 400:
        body["fields"] = fields or {}
    return body


def _json_content(response: dict[str, Any]) -> dict[str, Any] | None:
    return response.get("content", {}).get("application/json")


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    result["tags"] = TAGS
    result["components"]["schemas"]["Health"] = HEALTH_SCHEMA
    paths = dict(result["paths"])
    paths["/health/"] = HEALTH
    for item in paths.values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _examples(operation)
    # Operations in tag order (accounts first), then by path, for Swagger UI and readers.
    result["paths"] = dict(sorted(paths.items(), key=_path_order))
    return result


def _path_order(entry: tuple[str, dict[str, Any]]) -> tuple[int, int, str]:
    path, item = entry
    first = FIRST_PATHS.index(path) if path in FIRST_PATHS else len(FIRST_PATHS)
    return (_first_tag_index(item), first, path)


def _first_tag_index(item: dict[str, Any]) -> int:
    tags = [tag for operation in item.values() if isinstance(operation, dict) for tag in operation.get("tags", [])]
    return min((TAG_ORDER.get(tag, len(TAGS)) for tag in tags), default=len(TAGS))


def _examples(operation: dict[str, Any]) -> None:
    operation_id: str = operation.get("operationId", "")  # "" is in none of the tables, like None
    body = operation.get("requestBody")
    if body and operation_id in REQUEST_EXAMPLES:
        content = _json_content(body)
        if content is not None and "examples" not in content:
            content["example"] = REQUEST_EXAMPLES[operation_id]
    for status, response in operation["responses"].items():
        content = _json_content(response)
        if content is None or "examples" in content or "example" in content:
            continue
        status = int(status)
        if (operation_id, status) in RESPONSE_EXAMPLES:
            content["example"] = RESPONSE_EXAMPLES[(operation_id, status)]
        elif (operation_id, status) in SPECIFIC_ERRORS:
            code, message = SPECIFIC_ERRORS[(operation_id, status)]
            content["example"] = error_body(code, message, status=status)
        elif status in GENERIC_ERRORS:
            code, message, fields = GENERIC_ERRORS[status]
            content["example"] = error_body(code, message, fields, status=status)


class _PlainYamlRenderer(OpenApiYamlRenderer):
    # The YAML as text/plain: a browser shows it instead of downloading a file.
    media_type = "text/plain"
    charset = "utf-8"


class SchemaView(SpectacularAPIView):
    """/schema/: YAML a browser shows (text/plain); `?format=json` for JSON (application/json).

    A client asking for application/vnd.oai.openapi(+json) or application/yaml still gets it.
    """

    renderer_classes = [
        _PlainYamlRenderer,
        OpenApiYamlRenderer,
        OpenApiYamlRenderer2,
        OpenApiJsonRenderer2,
        OpenApiJsonRenderer,
    ]


class DocsView(SpectacularSwaggerSplitView):
    """/docs/: the Swagger UI under the Content-Security-Policy (config/settings.py).

    drf-spectacular's split view serves its start-up script from this URL (`?script`)
    instead of inline; its page styles are a static file (web/swagger_ui.html).
    """

    template_name = "web/swagger_ui.html"
