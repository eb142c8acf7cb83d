from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from redis.exceptions import RedisError


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
    if not healthy:
        body["error"] = "A dependency is unavailable: " + ", ".join(k for k, v in checks.items() if v != "ok")
    return JsonResponse(body, status=200 if healthy else 503)
