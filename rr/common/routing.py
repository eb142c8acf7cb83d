"""Paths under /api/ and /auth/ answer with or without their trailing slash.

Django's APPEND_SLASH answers a slash-less path with a redirect, which a client
follows as a GET (a POST's body is lost), and with DEBUG on it refuses a POST with
an HTML 500. Here the slash-less path is served by the same view, no redirect.
Unknown paths under the prefixes reach `json_not_found` (config/urls.py), a JSON
404 with DEBUG on too (Django's DEBUG 404 page would otherwise be HTML).
"""

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from django.views.decorators.csrf import csrf_exempt

from rr.common.errors import handler404
from rr.common.middleware import GetResponse

API_PREFIXES = ("/api/", "/auth/")
NOT_FOUND_NAME = "json-not-found"


@csrf_exempt  # an unknown path answers 404 to every method, never a CSRF page
def json_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return handler404(request)


def _serves(path: str) -> bool:
    try:
        match = get_resolver().resolve(path)
    except Resolver404:
        return False
    return match.url_name != NOT_FOUND_NAME


class OptionalTrailingSlashMiddleware:
    """Routes `/api/checklists` to the view of `/api/checklists/` (before CommonMiddleware).

    Costs a URL resolution only for slash-less paths under the prefixes.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(API_PREFIXES) and not path.endswith("/") and not _serves(path) and _serves(path + "/"):
            request.path_info = path + "/"
            request.path = request.path + "/"
        return self.get_response(request)
