import json
import logging
import socket

import pytest

from rr.common.logging import JsonFormatter


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def json_logs():
    """What the root logger's JSON handler writes, one parsed object per line: call it to read."""
    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in handler.lines]
    finally:
        root.removeHandler(handler)


@pytest.fixture
def closed_port():
    """A local TCP port nothing listens on: connections to it are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
