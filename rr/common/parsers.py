"""The request-body parsers for the whole API: JSON, and an empty form read as no body."""

from collections.abc import Iterable, Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.request import Request


class JSONBodyParser(JSONParser):
    """DRF's JSON parser, with nesting too deep for Python's decoder refused as a 400.

    The decoder recurses once per level and raises RecursionError (not ValueError)
    on a body of a few kilobytes of `[`, which DRF would let through as a 500.
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc


class EmptyFormParser(BaseParser):
    """An HTML form or multipart body with no field and no file, read as an empty body.

    Browsers' empty forms and Django's test client (`client.post(path)`) send one to
    the body-less endpoints (follow, unfollow, logout-all...), which must accept it like
    an empty JSON body. A form that carries anything is still refused with 415: the
    API speaks JSON, and a field sent in a form would otherwise be silently ignored.
    Chosen by BodyNegotiation only, so the OpenAPI schema keeps naming JSON alone.
    """

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
    media_type = FORM_TYPES[0]

    def parse(
        self, stream: IO[Any] | None, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        raw = stream.read() if stream is not None else b""
        assert media_type is not None  # DRF passes the request's content type
        base = media_type.split(";", 1)[0].strip().lower()
        if base == "application/x-www-form-urlencoded":
            empty = not raw.strip()
        else:
            # An empty multipart body is only its closing boundary: `--<boundary>--`.
            boundary = _multipart_boundary(media_type)
            empty = boundary is not None and raw.strip() in (b"", b"--" + boundary + b"--")
        if not empty:
            raise UnsupportedMediaType(media_type)
        return {}


def _multipart_boundary(media_type: str) -> bytes | None:
    for part in media_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "boundary" and value:
            return value.strip().strip('"').encode("ascii", "replace")
    return None


class BodyNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, plus: a form body no parser takes goes to EmptyFormParser."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        parser = super().select_parser(request, parsers)
        if parser is None and request.content_type.split(";", 1)[0].strip().lower() in EmptyFormParser.FORM_TYPES:
            return EmptyFormParser()
        return parser
