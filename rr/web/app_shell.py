"""What makes the web app installable: its manifest and its service worker, both at the site root.

The service worker must be served from / to control every page (a worker's scope is its
own folder at most); the file itself lives with the other static files (web/sw.js).
"""

from django.contrib.staticfiles import finders
from django.http import FileResponse, HttpRequest, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOUR = "#1f3a5f"


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": "Regret Regret",
            "short_name": "Regrets",
            "description": "Tick off today's regrets and keep your regret index low.",
            "id": "/today/",
            "start_url": "/today/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#f4f1ea",
            "theme_color": THEME_COLOUR,
            "icons": [
                {"src": static("web/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
                {"src": static("web/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            ],
        },
        content_type="application/manifest+json",
    )


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> FileResponse:
    # no-cache: browsers check for a new worker on every visit (they cap it at 24 h anyway).
    # finders.find names the one file (find_all=False): a path, never a list or None here.
    return FileResponse(open(finders.find("web/sw.js"), "rb"), content_type="text/javascript")  # type: ignore[arg-type]
