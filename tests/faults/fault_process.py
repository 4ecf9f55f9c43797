"""The sync as its own OS process, and the hand that kills it.

`SyncProcess` runs `ml-connector serve` on a fixed loopback port (so the emulators' webhook
URLs stay valid across restarts) with the project file a user would use. Its output goes to
one log file for the whole run, so a message from any life of the process can be found.
`Killer` SIGKILLs it at random moments and starts it again at once: no shutdown handler
runs, no buffer is flushed, exactly what an out-of-memory kill or a pulled plug does.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

from ml_connector.connectors.qbo_stripe.sandbox import QBO_CLIENT_ID


def cli_path() -> str:
    """The installed `ml-connector` script next to this interpreter."""
    return str(Path(sys.executable).with_name("ml-connector"))


class SyncProcess:
    """One `serve` process at a time; `restart()` kills the current one first."""

    def __init__(self, project_file: Path, port: int, log_file: Path, *, workers: int = 4,
                 verbosity: int = 1):
        self.project_file, self.port, self.log_file = project_file, port, log_file
        self.workers, self.verbosity = workers, verbosity
        self.process: subprocess.Popen[bytes] | None = None
        self.unexpected_exits: list[int] = []
        self.lives = 0
        self._lock = threading.RLock()  # the killer thread and the run both restart it

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self._lock:
            self._spawn()

    def kill(self) -> bool:
        """SIGKILL the running process; False when it had already exited on its own."""
        with self._lock:
            return self._kill()

    def restart(self) -> bool:
        """Kill and start again; False when there was nothing alive to kill."""
        with self._lock:
            killed = self._kill()
            self._spawn()
            return killed

    def run_all(self) -> int:
        """`ml-connector pipeline run --all` beside the service, as a user catching up would;
        its output goes to the same log. Returns its exit code."""
        with self.log_file.open("ab") as log:
            log.write(b"--- pipeline run --all ---\n")
            log.flush()
            return subprocess.run(self._command("pipeline", "run", "--all"), stdout=log,
                                  stderr=subprocess.STDOUT, env=self._env(),
                                  cwd=self.project_file.parent, check=False).returncode

    def logs(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def _spawn(self) -> None:
        serve = self._command("serve", "--port", str(self.port), "--workers", str(self.workers))
        with self.log_file.open("ab") as log:
            log.write(f"--- life {self.lives + 1} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(serve, stdout=log, stderr=subprocess.STDOUT,
                                            env=self._env(), cwd=self.project_file.parent)
        self.lives += 1

    def _kill(self) -> bool:
        process, self.process = self.process, None
        if process is None:
            return False
        if process.poll() is not None:
            self.unexpected_exits.append(process.returncode)
            return False
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True

    def _command(self, *args: str) -> list[str]:
        return [cli_path(), "--project", str(self.project_file), "-" + "v" * self.verbosity,
                *args]

    def _env(self) -> dict[str, str]:
        return {**os.environ, "QBO_CLIENT_ID": QBO_CLIENT_ID, "PYTHONUNBUFFERED": "1"}


class Killer:
    """A thread that kills and restarts the sync process at random moments, `kills` times.

    Each life lasts a random time drawn from `life` (seconds), so some kills land during
    start-up, some in the first poll, some in the middle of a webhook.
    """

    def __init__(self, process: SyncProcess, rng: random.Random, kills: int,
                 life: tuple[float, float] = (0.5, 4.0)):
        self.process, self.rng, self.life, self.target = process, rng, life, kills
        self.kills = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="killer", daemon=True)

    def start(self) -> Killer:
        self._thread.start()
        return self

    def wait(self) -> None:
        """Until the last kill (and its restart) is done."""
        self._thread.join()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while self.kills < self.target and not self._stop.wait(self.rng.uniform(*self.life)):
            if self.process.restart():
                self.kills += 1
