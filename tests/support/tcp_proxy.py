"""A TCP proxy on 127.0.0.1 that a test starts in front of a real server and can cut:

- `cut()`: every open connection is closed and new ones are closed at once (the server went
  away, or refuses: the client gets its error immediately);
- `stall()`: connections are taken but nothing goes through (a host gone dark: the client
  waits until its own timeout);
- `restore()`: traffic flows again.
"""
from __future__ import annotations

import socket
import threading

_CHUNK = 65536


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._mode = "open"
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self._set_mode("cut")

    def stall(self) -> None:
        self._set_mode("stall")

    def restore(self) -> None:
        self._set_mode("open")

    def close(self) -> None:
        self._set_mode("cut")
        self._listener.close()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _set_mode(self, mode: str) -> None:
        with self._lock:
            self._mode = mode
            doomed, self._sockets = self._sockets, set()
        for sock in doomed:
            _close(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed
            with self._lock:
                mode = self._mode
                if mode != "cut":
                    self._sockets.add(client)
            if mode == "cut":
                _close(client)
            elif mode == "open":
                threading.Thread(target=self._connect, args=(client,), daemon=True).start()
            # stalled: held open, never read, until the mode changes

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            _close(client)
            return
        with self._lock:
            if client not in self._sockets:  # cut while connecting
                _close(upstream)
                return
            self._sockets.add(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(_CHUNK):
            sink.sendall(data)
    except OSError:
        pass  # the other side, or cut(), closed a socket
    _close(source)
    _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
