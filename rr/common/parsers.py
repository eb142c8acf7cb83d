"""The request-body parser for the whole API."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JSONBodyParser(JSONParser):
    """DRF's JSON parser, with nesting too deep for Python's decoder refused as a 400.

    The decoder recurses once per level and raises RecursionError (not ValueError)
    on a body of a few kilobytes of `[`, which DRF would let through as a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
