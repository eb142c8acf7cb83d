"""A TCP proxy on loopback that stands between the server under test and PostgreSQL.

Three states, switched by the test:
- `up`: connections are forwarded to the real server;
- `down`: nothing listens on the port any more (connections are refused), and every
  forwarded connection is cut, as when the database host goes away;
- `silent`: connections are accepted and never answered, as when packets are dropped
  (a client then waits for its connect timeout); forwarded connections are cut too.
"""

import socket
import threading


class TcpProxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = None
        self.state = "down"
        self._listener = None
        self._accepting = None
        self._lock = threading.Lock()
        self._sockets = set()

    def _listen(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            with self._lock:
                self._sockets.add(client)
                state = self.state
            if state == "up":
                threading.Thread(target=self._forward_pair, args=(client,), daemon=True).start()
            # silent: the connection stays open and unanswered until the state changes.

    def _forward_pair(self, client):
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            self._close(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self._sockets.add(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            self._close(source)
            self._close(sink)

    def _close(self, sock):
        with self._lock:
            self._sockets.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _cut_all(self):
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)

    def up(self):
        with self._lock:
            self.state = "up"
        self._cut_all()  # connections left unanswered while silent
        if self._listener is None:
            self._listen()
        return self

    def silent(self):
        with self._lock:
            self.state = "silent"
        self._cut_all()
        if self._listener is None:
            self._listen()

    def down(self):
        with self._lock:
            self.state = "down"
            listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            listener.close()
            self._accepting.join(5)
        self._cut_all()

    def close(self):
        self.down()
