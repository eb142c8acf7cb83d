"""`/health/`: is this process able to serve? (the database decides; Redis is reported)

The platform takes an instance out of rotation on a non-2xx answer. Without Redis
the API still serves (rate limits fail open, see rr/common/throttling.py), so a cache
outage must not take every instance out: Redis down is 200 with `degraded`.
"""

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from redis.exceptions import RedisError

from rr.common.middleware import GetResponse
from rr.common.routers import replica_configured, replica_state

HEALTH_PATH = "/health/"


def health(request: HttpRequest) -> JsonResponse:
    """200 when the database answers (`degraded` if Redis does not); 503 when the database does not."""
    checks: dict[str, str | None] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        checks["database"] = "unavailable"
    if settings.REDIS_URL:
        try:
            cache.get("health-probe")
            checks["redis"] = "ok"
        except (RedisError, OSError):
            checks["redis"] = "unavailable"
    failed = [name for name, value in checks.items() if value != "ok"]
    if checks["database"] != "ok":
        body: dict[str, Any] = {"status": "unavailable", "checks": checks}
        body["error"] = "A dependency is unavailable: " + ", ".join(failed)
        body["code"] = "service_unavailable"
        status = 503
    elif failed:
        body = {"status": "degraded", "checks": checks, "degraded": failed}
        status = 200
    else:
        body = {"status": "ok", "checks": checks}
        status = 200
    if replica_configured():
        # Reported, never failing: without the replica, reads go to the primary.
        state, lag = replica_state.current(force=True)
        checks["replica"] = state
        body["replica_lag_seconds"] = None if lag is None else round(lag, 3)
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers `/health/` ahead of the host check and the HTTPS redirect.

    The platform's probe calls the instance directly, over plain HTTP and with a Host
    header that is not a public name; neither may turn a healthy instance into a 400
    or a 301. Placed right after the request log, before SecurityMiddleware.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_PATH:
            return health(request)
        return self.get_response(request)
