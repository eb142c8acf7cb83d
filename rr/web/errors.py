"""Friendly error pages for the web app; the API's paths and non-browser clients keep JSON.

A browser (one that asks for text/html) outside the API's prefixes gets a page in
words for a 404, a 500 and a lost database (503); nothing shows a trace. The pages
are rendered without the request's context: with the database gone even the
signed-in user cannot be read.
"""

import base64
import hashlib
import logging
from pathlib import Path

from csp.constants import SELF as CSP_SELF
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

from rr.common import errors as api_errors

logger = logging.getLogger("rr.errors")

API_PREFIXES = ("/api/", "/auth/", "/schema/", "/health/")

PAGES = {
    404: ("Page not found", "There is nothing at this address. It may have moved, or the link was mistyped."),
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


def wants_html(request):
    return not request.path.startswith(API_PREFIXES) and "text/html" in request.headers.get("Accept", "")


def error_page(status_code):
    title, text = PAGES[status_code]
    body = render_to_string("web/error.html", {"title": title, "text": text, "status_code": status_code})
    response = HttpResponse(body, status=status_code)
    response._csp_update = {"style-src": [CSP_SELF, ERROR_STYLE_SOURCE]}  # django-csp: this answer only
    if status_code == 503:
        response["Retry-After"] = "5"
    return response


def handler404(request, exception=None):
    if wants_html(request):
        return error_page(404)
    return api_errors.handler404(request, exception)


def handler500(request):
    if wants_html(request):
        return error_page(500)
    return api_errors.handler500(request)


class WebErrorMiddleware:
    """A page that finds the database gone answers the 503 page instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)) and wants_html(request):
            logger.error("database unavailable", exc_info=exception)
            return error_page(503)
        return None
