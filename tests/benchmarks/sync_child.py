"""One sync in a process of its own, so its CPU time and peak memory are the engine's alone.

    python sync_child.py PROJECT_FILE [--pipeline NAME ...] [--full] [--profile OUT.pstats]

Runs the pipelines as `ml-connector pipeline run --all` would, then prints one JSON line:
elapsed and CPU seconds of the run itself, the records by pipeline and action, and the
process's peak RSS.

With `--profile`, the run is profiled (cProfile, wall clock) and the statistics written to
the file. Profile a project with `workers: 1`: then one thread does all the work and its
wall-clock profile shows both the engine's own time and its waiting on the APIs.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime


def peak_rss() -> int:
    """This program's peak resident memory, in bytes, from `/proc/self/status` (VmHWM).

    Not `ru_maxrss`: that survives `exec`, so a child forked from a parent that holds both
    emulators' data would report the parent's size, not its own.
    """
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # not Linux


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(project: Path, pipelines: list[str] | None, full: bool,
        profile: Path | None) -> dict[str, Any]:
    runtime = Runtime.open(project)
    profiler = cProfile.Profile() if profile else None
    try:
        runner = Runner(runtime)
        started, cpu = time.perf_counter(), _cpu()
        if profiler is not None:
            profiler.enable()
        if profiler is None:
            summaries = runner.run_all(pipelines, full=full)
        else:   # cProfile sees one thread: the pipelines run in turn, each with one worker
            names = pipelines or list(runtime.pipelines.order)
            summaries = [runner.run(name, full=full) for name in names]
        if profiler is not None:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    finally:
        runtime.close()
    if profiler is not None and profile is not None:
        profiler.dump_stats(str(profile))
    return {"elapsed": elapsed, "cpu": cpu, "peak_rss": peak_rss(),
            "counts": {s.pipeline: dict(s.counts) for s in summaries},
            "failed": sum(s.failed for s in summaries),
            "errors": [f.error for s in summaries for f in s.failures][:5],
            "stopped": [s.stopped for s in summaries if s.stopped]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--pipeline", action="append", dest="pipelines")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)
    result = run(args.project, args.pipelines, args.full, args.profile)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
