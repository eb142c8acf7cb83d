"""The API's JSON renderer: DRF's answer, written by orjson.

DRF's JSONRenderer builds the text with the standard library's encoder, a large share of a
large answer's cost (the list of 1,000 entries: docs/BENCHMARKS.md). This one writes the same
JSON: compact, UTF-8, U+2028 and U+2029 escaped, and every type orjson would write otherwise
than DRF does (datetimes, dataclasses) or cannot (Decimal, lazy text, ...) handed to DRF's
own encoder. Only a float's spelling may differ (0.00001 for 1e-05: the same number). What
orjson refuses (an integer past 64 bits, a key that is not text) and an indented answer
(`Accept: application/json; indent=4`) go to DRF's renderer. tests/api/test_renderers.py
holds the two to the same text.
"""

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_DEFAULT = JSONEncoder().default
_LINE_SEPARATORS = ("\u2028".encode(), "\u2029".encode())


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_DEFAULT, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if _LINE_SEPARATORS[0] in out or _LINE_SEPARATORS[1] in out:
            out = out.replace(_LINE_SEPARATORS[0], b"\\u2028").replace(_LINE_SEPARATORS[1], b"\\u2029")
        return out
