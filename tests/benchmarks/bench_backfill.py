"""Backfill unthrottled, the nothing-changed re-runs, and the plain script on the same data.

N QBO customers with one 3-line invoice each go into an empty Stripe, through
`customers-to-stripe` and `invoices-to-stripe` (the job the plain script does too). The
client-side limits are lifted, so the figures show the engine and the emulators, not the
published limits. Then the same pipelines run again twice: incrementally (the stored
cursor) and in full (every record re-read and compared); neither may write.

The plain script runs against a fresh pair of emulators seeded the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from report import Figure, count, megabytes, millis, per_second
from world import Calls, SyncRun, World, emulators_cpu, run_child, world

from ml_connector.connectors.qbo_stripe.sandbox import QBO_REALM, STRIPE_KEY

PIPELINES = ["customers-to-stripe", "invoices-to-stripe"]
HERE = Path(__file__).resolve().parent
WRITES = ("stripe write", "quickbooks write")


@dataclass
class Backfill:
    n: int
    engine: SyncRun
    rerun: SyncRun
    full_rerun: SyncRun
    script: dict[str, Any]
    script_calls: Calls

    @property
    def records(self) -> int:
        return 2 * self.n   # a customer and an invoice per QBO customer


def measure(folder: Path, n: int) -> Backfill:
    with world(folder / f"engine-{n}") as here:
        here.seed(n)
        engine = here.sync(pipelines=PIPELINES)
        rerun = here.sync(pipelines=PIPELINES)
        full_rerun = here.sync(pipelines=PIPELINES, full=True)
    with world(folder / f"script-{n}") as there:
        there.seed(n)
        script, calls = plain_script(there)
    return Backfill(n, engine, rerun, full_rerun, script, calls)


def plain_script(there: World) -> tuple[dict[str, Any], Calls]:
    sandbox = there.sandbox
    token = sandbox.qbo_admin("connect", {"realm_id": QBO_REALM})["access_token"]
    emulators = emulators_cpu()
    with there.counting() as calls:
        report = run_child(HERE / "baseline_script.py", [
            sandbox.qbo_url, QBO_REALM, token, sandbox.stripe_url, STRIPE_KEY])
    return {**report, "emulator_cpu": emulators_cpu() - emulators}, calls[0]


@dataclass
class WithLatency:
    """The engine (at several `workers`) and the plain script when every call takes longer."""

    n: int
    latency: float
    engine: dict[int, SyncRun]
    script: dict[str, Any]


def measure_latency(folder: Path, n: int, latency: float, workers: list[int]) -> WithLatency:
    engine = {}
    for count_ in workers:
        with world(folder / f"latency-engine-{count_}") as here:
            here.seed(n)
            here.workers(count_)
            here.api_latency(latency)
            engine[count_] = here.sync(pipelines=PIPELINES)
    with world(folder / "latency-script") as there:
        there.seed(n)
        there.api_latency(latency)
        script, _ = plain_script(there)
    return WithLatency(n, latency, engine, script)


def latency_figures(result: WithLatency) -> list[Figure]:
    name = f"6 plain script {count(result.n)}, {millis(result.latency)} per call"
    script = result.script["elapsed"]
    rows = [Figure(name, "plain script records/s",
                   f"{per_second(2 * result.n, script)} ({script:,.1f} s)")]
    for workers, run in sorted(result.engine.items()):
        ratio = run.elapsed / script
        rows.append(Figure(name, f"engine elapsed / script elapsed, workers: {workers}",
                           f"{ratio:.2f}x ({1 / ratio:.1f} times as fast; "
                           f"{per_second(run.records('create'), run.elapsed)})",
                           "<= 0.10x", ratio <= 0.10))
    return rows


def profile(folder: Path, n: int, out: Path) -> SyncRun:
    """The same backfill with one worker, profiled: one thread does all the work."""
    with world(folder / f"profile-{n}") as here:
        here.seed(n)
        here.workers(1)
        return here.sync(pipelines=PIPELINES, profile=out)


def figures(result: Backfill) -> list[Figure]:
    n, engine, records = result.n, result.engine, result.records
    name = f"1 backfill {count(n)}"
    created = engine.records("create")
    rows = [
        Figure(name, "records/s end to end (customers + invoices)",
               f"{per_second(created, engine.elapsed)} ({count(created)} in "
               f"{engine.elapsed:,.1f} s)"),
        Figure(name, "API calls per record, by kind", _per_record(engine.calls, records)),
        Figure(name, "CPU per record; busy share of a core: engine, emulators",
               f"{millis(engine.cpu / records)}; {engine.cpu / engine.elapsed:.0%}, "
               f"{engine.emulator_cpu / engine.elapsed:.0%}"),
        Figure(name, "peak RSS of the sync process", megabytes(engine.peak_rss)),
    ]
    script = result.script
    ratio = engine.elapsed / script["elapsed"]
    rows += [
        Figure(f"6 plain script {count(n)}", "records/s; API calls and CPU per record",
               f"{per_second(records, script['elapsed'])} ({script['elapsed']:,.1f} s); "
               f"{result.script_calls.total / records:.1f} calls; "
               f"{millis(script['cpu'] / records)}"),
        Figure(f"6 plain script {count(n)}", "engine elapsed / script elapsed",
               f"{ratio:.2f}x ({1 / ratio:.1f} times as fast)", "<= 0.10x (10 times as fast)",
               ratio <= 0.10),
        # Both emulators are threads of one Python process, so they serve at most one core's
        # worth of requests, whoever sends them: their CPU for the script's (minimal) calls
        # bounds how fast any client can finish here.
        Figure(f"6 plain script {count(n)}",
               "fastest any client could be here: the emulators' CPU for these calls",
               f"{script['emulator_cpu']:,.1f} s = {script['emulator_cpu'] / script['elapsed']:.2f}"
               "x the script's elapsed"),
    ]
    rows += _rerun_figures(result)
    return rows


def _rerun_figures(result: Backfill) -> list[Figure]:
    rows = []
    for label, run in (("incremental", result.rerun), ("full re-read", result.full_rerun)):
        kinds = run.calls.by_kind()
        writes = sum(kinds[k] for k in WRITES)
        reads = run.calls.total - writes
        rows.append(Figure(f"3 nothing changed {count(result.n)}",
                           f"{label}: write calls; read calls; elapsed",
                           f"{writes}; {count(reads)}; {run.elapsed:,.1f} s", "0 writes",
                           writes == 0 and run.records("create", "update") == 0))
    return rows


def _per_record(calls: Calls, records: int) -> str:
    kinds = calls.by_kind()
    parts = [f"{kind} {kinds[kind] / records:.2f}" for kind in sorted(kinds)]
    return f"{calls.total / records:.2f} in all: " + ", ".join(parts)


def route_table(calls: Calls, records: int) -> str:
    """Calls per record by route, for the detail under the main table."""
    lines = ["| route | calls | per record |", "|---|---|---|"]
    for route, number in calls.by_route.most_common():
        lines.append(f"| {route} | {count(number)} | {number / records:.2f} |")
    return "\n".join(lines)
