"""Run every benchmark and print one table of figures measured side by side in this run.

    python tests/benchmarks/run_all.py [--quick] [--only backfill,limits,...] [--out DIR]
                                       [--readme]

Scenarios (numbered as in the table): 1 backfill unthrottled, 2 backfill at the real limits,
3 nothing changed, 4 memory growth, 5 payments back through `serve`, 6 the plain script.
`--quick` uses smaller sizes and finishes in about four minutes; the full set takes about
twenty-five on two cores. `--readme` replaces the generated part of README.md's Benchmarks section
with this run's table. Figures are noisy on shared machines: compare runs on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import bench_backfill
import bench_limits
import bench_memory
import bench_webhooks
import profiling
from report import Figure, table

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
SCENARIOS = ("backfill", "limits", "memory", "webhooks", "profile")


@dataclass(frozen=True)
class Scale:
    backfill: tuple[int, ...]      # customers (each with one invoice) per backfill
    latency_n: int                 # customers for the comparison at API latency
    limits: int
    memory: tuple[int, int]
    rates: tuple[float, ...]       # webhook events per second, step by step
    step_seconds: float
    profile: int


FULL = Scale(backfill=(1_000, 10_000), latency_n=200, limits=1_000, memory=(10_000, 100_000),
             rates=(5, 10, 20, 40), step_seconds=20, profile=1_000)
QUICK = Scale(backfill=(300,), latency_n=40, limits=300, memory=(1_000, 10_000),
              rates=(5, 10, 20, 40), step_seconds=5, profile=300)
LATENCY, LATENCY_WORKERS = 0.1, [8, 32]   # a typical Stripe round trip; default and raised
TARGET_EVENTS = 20   # webhook events per second


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    mem = next((int(line.split()[1]) * 1024 for line in _read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal")), 0)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cores} cores ({cpu}), {mem / 2**30:.0f} GiB memory, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


class Session:
    """One run of the set: figures in the order measured, details for the notes."""

    def __init__(self, scale: Scale, folder: Path):
        self.scale, self.folder = scale, folder
        self.figures: list[Figure] = []
        self.details: list[str] = []
        self.raw: dict[str, Any] = {}

    def step(self, title: str, action: Callable[[], None]) -> None:
        started = time.monotonic()
        print(f"... {title}", file=sys.stderr, flush=True)
        action()
        print(f"    done in {time.monotonic() - started:,.0f} s", file=sys.stderr, flush=True)

    def backfill(self) -> None:
        for n in self.scale.backfill:
            result = bench_backfill.measure(self.folder, n)
            self.figures += bench_backfill.figures(result)
            self.raw[f"backfill-{n}"] = {"engine": result.engine.report,
                                         "script": result.script,
                                         "calls": dict(result.engine.calls.by_route)}
        self.details.append(f"API calls of the {result.n:,}-customer backfill, by route:\n\n"
                            + bench_backfill.route_table(result.engine.calls, result.records))
        slow = bench_backfill.measure_latency(self.folder, self.scale.latency_n, LATENCY,
                                              LATENCY_WORKERS)
        self.figures += bench_backfill.latency_figures(slow)
        self.raw["latency"] = {"script": slow.script,
                               "engine": {w: r.report for w, r in slow.engine.items()}}

    def limits(self) -> None:
        result = bench_limits.measure(self.folder, self.scale.limits)
        self.figures += bench_limits.figures(result)
        self.raw["limits"] = {"elapsed": result.elapsed, "floor": result.floor_pooled,
                              "calls": dict(result.calls.by_route)}

    def memory(self) -> None:
        runs = bench_memory.measure(self.folder, self.scale.memory)
        self.figures += bench_memory.figures(runs)
        self.raw["memory"] = {n: {"peak_rss": r.peak_rss, "elapsed": r.elapsed}
                              for n, r in runs}

    def webhooks(self) -> None:
        rates = list(self.scale.rates)
        timeout = 60 + max(rates) / bench_webhooks.EVENTS_PER_PAYMENT * self.scale.step_seconds
        steps = bench_webhooks.measure(self.folder, rates, self.scale.step_seconds, timeout)
        self.figures += bench_webhooks.figures(steps, TARGET_EVENTS)
        self.raw["webhooks"] = bench_webhooks.summary(steps)

    def profile(self) -> None:
        out = self.folder / "sync.pstats"
        run = bench_backfill.profile(self.folder, self.scale.profile, out)
        self.details.append(profiling.summary(out, run.records("create")))


def render(session: Session, quick: bool, seconds: float) -> str:
    mode = "--quick" if quick else "full set"
    head = (f"Measured {time.strftime('%Y-%m-%d')} ({mode}, {seconds / 60:,.0f} min) on "
            f"{machine()}.")
    return "\n\n".join([head, table(session.figures), *session.details])


def update_readme(text: str) -> None:
    readme = ROOT / "README.md"
    content = readme.read_text(encoding="utf-8")
    if START not in content or END not in content:
        raise SystemExit(f"README.md has no {START} ... {END} block to replace")
    block = f"{START}\n{text}\n{END}"
    content = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _m: block, content,
                     flags=re.DOTALL)
    readme.write_text(content, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help=f"comma-separated subset of {', '.join(SCENARIOS)}")
    parser.add_argument("--out", type=Path, help="keep results (table, JSON, profile) here")
    parser.add_argument("--readme", action="store_true",
                        help="write the table into README.md's Benchmarks section")
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    with tempfile.TemporaryDirectory(prefix="mlc-bench-") as scratch:
        folder = args.out or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        session, started = Session(QUICK if args.quick else FULL, folder), time.monotonic()
        for name in SCENARIOS:
            if name in wanted:
                session.step(name, getattr(session, name))
        text = render(session, args.quick, time.monotonic() - started)
        (folder / "results.md").write_text(text + "\n", encoding="utf-8")
        (folder / "results.json").write_text(json.dumps(
            {"figures": [asdict(f) for f in session.figures], "raw": session.raw},
            indent=2, default=str), encoding="utf-8")
    print(text)
    if args.readme:
        update_readme(text)


if __name__ == "__main__":
    main()
