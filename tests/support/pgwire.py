"""A loopback proxy in front of PostgreSQL that counts the statements the server receives.

It reads the frontend side of the wire protocol (PostgreSQL docs, "Message Formats"):
after the untyped start-up messages, every message is a type byte and a length. A
statement is a simple `Query` ('Q', one per statement sent that way: BEGIN, COMMIT, SET...)
or an `Execute` ('E', one per statement of the extended protocol psycopg uses for
parameters). What Django's CaptureQueriesContext sees and what it does not (connection
set-up, transaction control, anything below the ORM) are counted alike. TLS is not
parsed: connect through it with sslmode=disable.
"""

import socket
import struct
import threading

STATEMENT_TYPES = {b"Q": "query", b"E": "execute"}
_UNTYPED_REQUESTS = {80877103, 80877104}  # SSLRequest, GSSENCRequest: another start-up message follows


class StatementCountingProxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, int(target_port))
        self.statements = []  # ('query' | 'execute', its SQL text)
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self._sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self):
        with self._lock:
            self.statements.clear()

    def count(self):
        with self._lock:
            return len(self.statements)

    def close(self):
        self._listener.close()
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
            self._sockets += [client, upstream]
            threading.Thread(target=self._frontend, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _frontend(self, client, upstream):
        buffer, started, parsed = b"", False, ""
        try:
            while data := client.recv(65536):
                upstream.sendall(data)
                buffer += data
                while True:
                    if not started:
                        if len(buffer) < 8:
                            break
                        length, code = struct.unpack("!II", buffer[:8])
                        if len(buffer) < length:
                            break
                        buffer = buffer[length:]
                        started = code not in _UNTYPED_REQUESTS
                        continue
                    if len(buffer) < 5:
                        break
                    kind, length = buffer[:1], struct.unpack("!I", buffer[1:5])[0]
                    if len(buffer) < 1 + length:
                        break
                    body, buffer = buffer[5 : 1 + length], buffer[1 + length :]
                    if kind == b"P":  # Parse: statement name, then the SQL text
                        parsed = body.split(b"\0", 2)[1].decode("utf-8", "replace")
                    if kind in STATEMENT_TYPES:
                        text = body.rstrip(b"\0").decode("utf-8", "replace") if kind == b"Q" else parsed
                        with self._lock:
                            self.statements.append((STATEMENT_TYPES[kind], text))
        except OSError:
            pass
        finally:
            try:
                upstream.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
