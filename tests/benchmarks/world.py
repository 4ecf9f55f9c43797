"""The benchmark world: both emulators seeded at scale, and the processes that sync against them.

The emulators run in this (the harness) process; every sync runs in a child process, so the
child's CPU time and peak RSS are the engine's alone. Requests are counted where they land,
at the emulators, by system and kind (read, search, write) and by route.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ml_connector.connectors.qbo_stripe.sandbox import QBO_CLIENT_ID, Sandbox, SandboxOptions
from ml_connector.engine.testing.servers import BackgroundServer

HERE = Path(__file__).resolve().parent
UNLIMITED = 1_000_000.0  # client-side limits high enough never to wait
# What the APIs publish: Stripe live mode 100 requests/s, search 20/s, 25/s to any one
# endpoint; QBO 500/min per realm, 10 in flight.
STRIPE_RATE, STRIPE_SEARCH_RATE, STRIPE_ENDPOINT_RATE = 100, 20, 25
QBO_PER_MINUTE, QBO_CONCURRENT = 500, 10


@dataclass(frozen=True)
class Calls:
    """Requests the emulators answered during one measured step.

    `by_route` counts the requests served ("stripe POST /v1/customers": 1000), `throttled`
    those answered 429 by system ("stripe", "quickbooks"); QBO's own tally counts a request
    before its limits are checked, so its routes include its throttled requests.
    """

    by_route: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_route.values())

    @property
    def throttled_share(self) -> float:
        refused = sum(self.throttled.values())
        sent = self.total + self.throttled["stripe"]
        return refused / sent if sent else 0.0

    def by_kind(self) -> Counter[str]:
        """"stripe write", "stripe search", "quickbooks read", ..."""
        kinds: Counter[str] = Counter()
        for route, count in self.by_route.items():
            kinds[kind_of(route)] += count
        return kinds

    def count(self, kind: str) -> int:
        return self.by_kind()[kind]


def kind_of(route: str) -> str:
    system, method, path = route.split(" ", 2)
    if system == "stripe":
        if method != "GET":
            return "stripe write"
        return "stripe search" if path.endswith("/search") else "stripe read"
    if method == "GET" or path in ("query", "cdc"):
        return "quickbooks read"
    return "quickbooks write"


def _emulator(server: BackgroundServer | None) -> Any:
    """The emulator object behind a running sandbox server (its app's `state.emulator`).

    Counting at the emulator in-process is exact and free; asking its admin API for the
    request log would ship 100,000s of entries as JSON.
    """
    assert server is not None
    return server._server.config.app.state.emulator


class World:
    """A started sandbox: seed it, sync against it, count what reached the emulators."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.qbo = _emulator(sandbox.qbo_server)        # QBO EmulatorState
        self.stripe = _emulator(sandbox.stripe_server)  # StripeEmulator

    # -- set-up --------------------------------------------------------------------------

    def seed(self, customers: int, invoices_per_customer: int = 1, lines: int = 3) -> None:
        self.sandbox.qbo_admin("bulk", {"customers": customers, "lines_per_invoice": lines,
                                        "invoices_per_customer": invoices_per_customer})

    def client_limits(self, *, stripe_rate: float, search_rate: float,
                      qbo_per_minute: int, qbo_concurrent: int,
                      endpoint_rate: float | None = None) -> None:
        """The connector's own limits, as a user would set them in the project file.

        `endpoint_rate` None leaves Stripe's per-endpoint limit at the connector's default,
        the published 25/s.
        """
        def edit(project: dict[str, Any]) -> None:
            stripe = project["connections"]["stripe"]["settings"]
            stripe.update(requests_per_second=stripe_rate, search_requests_per_second=search_rate)
            stripe.pop("endpoint_requests_per_second", None)
            if endpoint_rate is not None:
                stripe["endpoint_requests_per_second"] = endpoint_rate
            project["connections"]["quickbooks"]["settings"].update(
                requests_per_minute=qbo_per_minute, max_concurrency=qbo_concurrent)

        self._edit_project(edit)

    def _edit_project(self, edit: Callable[[dict[str, Any]], None]) -> None:
        path = self.sandbox.project_file
        project = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(project)
        path.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")

    def workers(self, count: int) -> None:
        """The project's `workers`: records synced at once by each run."""
        self._edit_project(lambda project: project.update(workers=count))

    def api_latency(self, seconds: float) -> None:
        """Every API call of both emulators takes `seconds` longer, like a real round trip."""
        self.sandbox.stripe_admin("faults", {"faults": [{"kind": "slow", "delay": seconds}]})
        self.sandbox.qbo_admin("faults", {"rate_slow": 1.0, "slow_seconds": seconds})

    def enforce_real_limits(self) -> None:
        """Both emulators answer 429 beyond the published limits."""
        self.sandbox.stripe_admin("faults", {"rate_limits": {
            "global": STRIPE_RATE, "search": STRIPE_SEARCH_RATE,
            "endpoint": STRIPE_ENDPOINT_RATE}})
        self.qbo.limits.enabled = True

    # -- counting ------------------------------------------------------------------------

    @contextmanager
    def counting(self) -> Iterator[list[Calls]]:
        """`with world.counting() as calls:` ... then `calls[0]` holds what was sent."""
        result: list[Calls] = []
        stripe_log = self.stripe.state.requests
        with self.stripe.state.lock:
            stripe_log.clear()
        qbo_before, qbo_throttled = Counter(self.qbo.requests), self.qbo.limits.throttled
        yield result
        with self.stripe.state.lock:
            entries = list(stripe_log)
            stripe_log.clear()
        routes: Counter[str] = Counter(f"stripe {e['method']} {e['route']}" for e in entries
                                       if e["status"] != 429)
        for key, count in (Counter(self.qbo.requests) - qbo_before).items():
            routes[f"quickbooks {key}"] += count
        throttled = Counter(stripe=sum(1 for e in entries if e["status"] == 429),
                            quickbooks=self.qbo.limits.throttled - qbo_throttled)
        result.append(Calls(routes, throttled))

    # -- syncing in a child process --------------------------------------------------------

    def sync(self, *, pipelines: list[str] | None = None, full: bool = False,
             profile: Path | None = None) -> SyncRun:
        args = [str(self.sandbox.project_file)]
        for name in pipelines or []:
            args += ["--pipeline", name]
        if full:
            args.append("--full")
        if profile is not None:
            args += ["--profile", str(profile)]
        emulators = emulators_cpu()
        with self.counting() as calls:
            report = run_child(HERE / "sync_child.py", args)
        return SyncRun(report, calls[0], emulators_cpu() - emulators)


@dataclass(frozen=True)
class SyncRun:
    """One child sync: its own report and the calls the emulators saw."""

    report: dict[str, Any]
    calls: Calls
    emulator_cpu: float = 0.0   # CPU seconds this process (the emulators) spent meanwhile

    @property
    def elapsed(self) -> float:
        return float(self.report["elapsed"])

    @property
    def peak_rss(self) -> int:
        return int(self.report["peak_rss"])

    @property
    def cpu(self) -> float:
        return float(self.report["cpu"])

    def records(self, *actions: str) -> int:
        """Records with one of `actions` (all records when none is named)."""
        return sum(n for counts in self.report["counts"].values() for a, n in counts.items()
                   if not actions or a in actions)


def emulators_cpu() -> float:
    """CPU seconds of this process so far: the emulators' threads, since syncs are children."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_child(script: Path, args: list[str], env: Mapping[str, str] | None = None
              ) -> dict[str, Any]:
    """Run a Python script of this folder; returns its last stdout line, parsed as JSON."""
    child_env = {**os.environ, "QBO_CLIENT_ID": QBO_CLIENT_ID, **(env or {})}
    done = subprocess.run([sys.executable, str(script), *args], capture_output=True,
                          env=child_env, check=False)
    lines = done.stdout.decode().strip().splitlines()
    if done.returncode != 0 or not lines:
        problem = done.stderr.decode(errors="replace")[-3000:]
        raise RuntimeError(f"{script.name} failed ({done.returncode}): {problem}")
    return dict(json.loads(lines[-1]))


@contextmanager
def world(folder: Path, *, qbo: Mapping[str, Any] | None = None,
          stripe: Mapping[str, Any] | None = None) -> Iterator[World]:
    """A fresh sandbox (empty Stripe, a QBO company without the sample data), unthrottled."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{folder.name}-", dir=folder.parent))  # never reused
    options = SandboxOptions(seed_quickbooks=False,
                             qbo={"enforce_limits": False, **(qbo or {})},
                             stripe=dict(stripe or {}))
    with Sandbox(folder, options) as sandbox:
        here = World(sandbox)
        # QBO's schema caps the client at the published limits; the backfill reads a page
        # of 1,000 records per call, so they never bind there.
        here.client_limits(stripe_rate=UNLIMITED, search_rate=UNLIMITED,
                           endpoint_rate=UNLIMITED, qbo_per_minute=QBO_PER_MINUTE,
                           qbo_concurrent=QBO_CONCURRENT)
        yield here


def wait_for(check: Any, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return bool(check())
