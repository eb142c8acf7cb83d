"""`/health/`: is this process able to serve? (database, and Redis when configured)"""

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from redis.exceptions import RedisError

from rr.common.routers import replica_configured, replica_state

HEALTH_PATH = "/health/"


def health(request):
    """200 when the database (and Redis, if configured) answer; 503 with what failed otherwise."""
    checks = {}
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
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if replica_configured():
        # Reported, never failing: without the replica, reads go to the primary.
        state, lag = replica_state.current(force=True)
        checks["replica"] = state
        body["replica_lag_seconds"] = None if lag is None else round(lag, 3)
    if not healthy:
        body["error"] = "A dependency is unavailable: " + ", ".join(k for k, v in checks.items() if v != "ok")
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers `/health/` ahead of the host check and the HTTPS redirect.

    The platform's probe calls the instance directly, over plain HTTP and with a Host
    header that is not a public name; neither may turn a healthy instance into a 400
    or a 301. Placed right after the request log, before SecurityMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTH_PATH:
            return health(request)
        return self.get_response(request)
