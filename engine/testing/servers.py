"""Run an ASGI app on a free loopback port in a background thread.

Emulators, the webhook server and the tests all need a real HTTP server (webhook delivery,
dropped connections and timeouts only exist on a real socket), started and stopped from
Python without a subprocess.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS reports free right now (the server binds it immediately after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class BackgroundServer:
    """A uvicorn server in a daemon thread; `url` is its base URL once `start()` returns."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int | None = None,
                 log_level: str = "warning"):
        self.host, self.port = host, port or free_port(host)
        config = uvicorn.Config(app, host=self.host, port=self.port, log_level=log_level,
                                lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True,
                                        name=f"asgi-{self.port}")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def alive(self) -> bool:
        """True while the server thread runs (it ends when stopped, or when serving failed)."""
        return self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)


@contextmanager
def serve_in_thread(app: Any, **kwargs: Any) -> Iterator[BackgroundServer]:
    """`with serve_in_thread(app) as server: httpx.get(server.url + ...)`."""
    server = BackgroundServer(app, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()
