"""One JSON object per log line, with the request id of the request being served."""

import contextvars
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_level(environ: Mapping[str, str], name: str = "LOG_LEVEL", default: str = "INFO") -> str:
    """The level the variable `name` names, in any case (`warning`, `Warning`); upper case.

    One reading for manage.py (config/settings.py) and gunicorn (gunicorn.conf.py): any
    other value stops either at start-up with an error naming the variable.
    """
    raw = environ.get(name, default)
    level = raw.strip().upper()
    if level not in LOG_LEVELS:
        choices = ", ".join(choice.lower() for choice in LOG_LEVELS)
        raise ImproperlyConfigured(f"{name}={raw!r} is not a log level: use one of {choices} (any case).")
    return level


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# Django's request loggers attach the request object itself: never serialised (its
# repr is noise, and its headers may carry tokens).
_SKIPPED_ATTRS = {"request"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key not in _SKIPPED_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class UnhandledErrorsOnly(logging.Filter):
    """Keep `django.request` records that carry an exception: the unhandled errors, with trace.

    Its other records (a line per 4xx/5xx response) repeat what the request line says.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info:
            return False
        request = getattr(record, "request", None)
        if request is not None:
            record.method = request.method
            record.path = request.path
        return True


class TextFormatter(logging.Formatter):
    """One readable line per record, for a developer's terminal (`make run`: LOG_FORMAT=text).

    A request reads `12:04:31 INFO GET /today/ 200 18.2 ms user=3`; other records
    `12:04:31 WARNING rr.errors: <message> key=value ...`. The same fields as the
    JSON lines, so switching formats loses nothing; production keeps JSON.
    """

    def format(self, record: logging.LogRecord) -> str:
        clock = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        fields = {
            key: value
            for key, value in record.__dict__.items()
            if key not in _STANDARD_ATTRS and key not in _SKIPPED_ATTRS and not key.startswith("_")
        }
        if record.getMessage() == "request" and {"method", "path", "status"} <= fields.keys():
            line = f"{clock} {record.levelname} {fields.pop('method')} {fields.pop('path')} {fields.pop('status')}"
            if "duration_ms" in fields:
                line += f" {fields.pop('duration_ms')} ms"
            user_id = fields.pop("user_id", None)
            if user_id is not None:
                line += f" user={user_id}"
        else:
            line = f"{clock} {record.levelname} {record.name}: {record.getMessage()}"
        line += "".join(f" {key}={value}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line
