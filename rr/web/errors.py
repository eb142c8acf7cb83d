"""Friendly error pages for the web app; the API's paths and non-browser clients keep JSON.

A browser outside the API's prefixes gets words for a 400, 403, 404, 500 and a lost
database (503); nothing shows a trace. "A browser" is a request that asks for text/html
or one the web app's script made: htmx marks each of its requests with `HX-Request`
(it sends `Accept: */*`). An htmx request gets a fragment, not a page: one message,
retargeted (`HX-Retarget`) to the page's message area (`#flash` in base.html), so an
error neither replaces the part of the page the request aimed at nor navigates
(static/web/app.js reverts what the request had changed, and says so when the
connection is lost). The pages are rendered without the request's context: with the
database gone even the signed-in user cannot be read.
"""

import base64
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from csp.constants import SELF as CSP_SELF
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.csrf import csrf_failure as django_csrf_failure

from rr.common import errors as api_errors
from rr.common.middleware import GetResponse

logger = logging.getLogger("rr.errors")

API_PREFIXES = ("/api/", "/auth/", "/schema/", "/health/")

PAGES = {
    400: ("Bad request", "The page could not understand that request. Go back and try again."),
    403: (
        "This form has expired",
        "For your safety the page could not send it. Reload the page and try again.",
    ),
    404: ("Page not found", "There is nothing at this address. It may have moved, or the link was mistyped."),
    405: ("Not here", "This address does not take that kind of request. Go back and try again."),
    500: ("Something went wrong", "We could not show this page. The error has been logged; please try again."),
    503: (
        "Back in a moment",
        "Regret Regret cannot reach its database right now. Nothing you did was lost; try again in a few seconds.",
    ),
}


# The error page's inline <style> (web/error.css, included verbatim) is allowed by its digest
# on the error answers only; every other page keeps the policy's style-src 'self'.
_STYLE = (Path(__file__).parent / "templates" / "web" / "error.css").read_bytes()
ERROR_STYLE_SOURCE = "'sha256-{}'".format(base64.b64encode(hashlib.sha256(_STYLE).digest()).decode("ascii"))


def from_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_html(request: HttpRequest) -> bool:
    if request.path.startswith(API_PREFIXES):
        return False
    return from_htmx(request) or "text/html" in request.headers.get("Accept", "")


def error_page(status_code: int, request: HttpRequest | None = None) -> HttpResponse:
    """The page in words for `status_code`, or for an htmx request its one-message fragment."""
    title, text = PAGES[status_code]
    context = {"title": title, "text": text, "status_code": status_code}
    if request is not None and from_htmx(request):
        response = HttpResponse(render_to_string("web/_error_message.html", context), status=status_code)
        response["HX-Retarget"] = "#flash"
        response["HX-Reswap"] = "innerHTML"
        response["HX-Push-Url"] = "false"
    else:
        response = HttpResponse(render_to_string("web/error.html", context), status=status_code)
        response._csp_update = {"style-src": [CSP_SELF, ERROR_STYLE_SOURCE]}  # type: ignore[attr-defined]  # django-csp: this answer only
    if status_code == 503:
        response["Retry-After"] = "5"
    return response


def _web_or_api(
    status_code: int, api_handler: Callable[[HttpRequest, Exception | None], HttpResponse]
) -> Callable[..., HttpResponse]:
    def handler(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        if wants_html(request):
            return error_page(status_code, request)
        return api_handler(request, exception)

    return handler


handler400 = _web_or_api(400, api_errors.handler400)
handler403 = _web_or_api(403, api_errors.handler403)
handler404 = _web_or_api(404, api_errors.handler404)


def handler500(request: HttpRequest) -> HttpResponse:
    if wants_html(request):
        return error_page(500, request)
    return api_errors.handler500(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a browser's or htmx's form without its token (an expired page) gets
    words; anything else Django's own answer, which names the CSRF check."""
    if wants_html(request):
        return error_page(403, request)
    return django_csrf_failure(request, reason=reason)


def _words(response: HttpResponse) -> bool:
    """Whether an error answer is HTML with something in it (a page or a fragment of ours)."""
    return response.get("Content-Type", "").startswith("text/html") and bool(getattr(response, "content", b""))


class WebErrorMiddleware:
    """A page that finds the database gone answers the 503 page instead of a 500; a 404
    is the app's page with DEBUG on too (`make run`), where Django would answer its
    technical page listing every URL: an address that matched nothing (no resolver
    match) or a view's Http404. An htmx request never gets JSON or an empty error
    answer (a 405 from require_POST) to swap in: the message fragment instead."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404 and request.resolver_match is None and wants_html(request):
            return error_page(404, request)
        if from_htmx(request) and response.status_code >= 400 and not _words(response) and wants_html(request):
            # An answer htmx would swap in that is no page of ours: JSON, or empty (405).
            return error_page(response.status_code if response.status_code in PAGES else 500, request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404) and wants_html(request):
            return error_page(404, request)
        if isinstance(exception, (OperationalError, InterfaceError)) and wants_html(request):
            logger.error("database unavailable", exc_info=exception)
            return error_page(503, request)
        return None
