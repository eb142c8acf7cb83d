"""A loopback proxy in front of PostgreSQL that counts the statements the server receives.

It reads the frontend side of the wire protocol (PostgreSQL docs, "Message Formats"):
after the untyped start-up messages, every message is a type byte and a length. A
statement is a simple `Query` ('Q', one per statement sent that way: BEGIN, COMMIT, SET...)
or an `Execute` ('E', one per statement of the extended protocol). What Django's
CaptureQueriesContext sees and what it does not (connection set-up, transaction control,
anything below the ORM) are counted alike. TLS is not parsed: connect through it with
sslmode=disable. The forwarding is tests/hardening/proxy.py's.
"""

import struct
import threading

from tests.hardening.proxy import TcpProxy

STATEMENT_TYPES = {b"Q": "query", b"E": "execute"}
_UNTYPED_REQUESTS = {80877103, 80877104}  # SSLRequest, GSSENCRequest: another start-up message follows


class _Frontend:
    """One connection's client-to-server stream, cut into messages; statements go to `record`."""

    def __init__(self, record):
        self.record = record
        self.buffer = b""
        self.started = False
        self.parsed = ""  # the SQL of the last Parse, for the Execute that runs it

    def feed(self, data):
        self.buffer += data
        while self._next():
            pass

    def _next(self):
        if not self.started:
            if len(self.buffer) < 8:
                return False
            length, code = struct.unpack("!II", self.buffer[:8])
            if len(self.buffer) < length:
                return False
            self.buffer = self.buffer[length:]
            self.started = code not in _UNTYPED_REQUESTS
            return True
        if len(self.buffer) < 5:
            return False
        kind, length = self.buffer[:1], struct.unpack("!I", self.buffer[1:5])[0]
        if len(self.buffer) < 1 + length:
            return False
        body, self.buffer = self.buffer[5 : 1 + length], self.buffer[1 + length :]
        if kind == b"P":  # Parse: statement name, then the SQL text
            self.parsed = body.split(b"\0", 2)[1].decode("utf-8", "replace")
        if kind in STATEMENT_TYPES:
            text = body.rstrip(b"\0").decode("utf-8", "replace") if kind == b"Q" else self.parsed
            self.record(STATEMENT_TYPES[kind], text)
        return True


class StatementCountingProxy(TcpProxy):
    def __init__(self, target_host, target_port):
        super().__init__(target_host, int(target_port))
        self.statements = []  # ('query' | 'execute', its SQL text)
        self._count_lock = threading.Lock()
        self.up()

    def reset(self):
        with self._count_lock:
            self.statements.clear()

    def _record(self, kind, text):
        with self._count_lock:
            self.statements.append((kind, text))

    def _pump(self, source, sink):
        if source.getsockname()[1] != self.port:  # the server's answers: forwarded as they are
            return super()._pump(source, sink)
        frontend = _Frontend(self._record)
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
                frontend.feed(chunk)
        except OSError:
            pass
        finally:
            self._close(source)
            self._close(sink)
