"""`ml-connector serve` in a child process, as it runs in production, for the webhook bench."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

import httpx
from world import wait_for

from ml_connector.connectors.qbo_stripe.sandbox import QBO_CLIENT_ID
from ml_connector.engine.testing.servers import free_port

CLI = "from ml_connector.engine.cli.main import main; main()"


class ServeProcess:
    """`with ServeProcess(project) as serve:` ... `serve.url`, `serve.inbox_depth()`."""

    def __init__(self, project: Path, *, workers: int = 2):
        self.port = free_port()
        self.args = [sys.executable, "-c", CLI, "--project", str(project), "serve",
                     "--port", str(self.port), "--workers", str(workers), "--no-poll"]
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
        self._http = httpx.Client(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServeProcess:
        env = {**os.environ, "QBO_CLIENT_ID": QBO_CLIENT_ID}
        self.process = subprocess.Popen(self.args, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT)
        if not wait_for(self._healthy, timeout=30, interval=0.1):
            self.__exit__(None, None, None)
            raise RuntimeError(f"serve did not start: {self.output()}")
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"serve exited: {self.output()}")
        try:
            return self._http.get(f"{self.url}/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def inbox_depth(self) -> int:
        return int(self._http.get(f"{self.url}/healthz").json()["inbox_depth"])

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-3000:]

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._http.close()
        try:
            self._stop()
        finally:
            self._log.close()

    def _stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
