"""Memory growth: peak RSS of the sync process at 10,000 and at 100,000 customers.

The engine reads the source a page at a time and keeps nothing per record in memory (links,
intents and audit rows live in the store), so ten times the customers should cost barely
more memory. Customers only: `customers-to-stripe` over a company without invoices.
"""

from __future__ import annotations

from pathlib import Path

from report import Figure, count, megabytes, per_second
from world import SyncRun, world

TARGET_RSS, TARGET_GROWTH = 250e6, 0.20


def measure(folder: Path, sizes: tuple[int, int]) -> list[tuple[int, SyncRun]]:
    runs = []
    for n in sizes:
        with world(folder / f"memory-{n}") as here:
            here.seed(n, invoices_per_customer=0)
            runs.append((n, here.sync(pipelines=["customers-to-stripe"])))
    return runs


def figures(runs: list[tuple[int, SyncRun]]) -> list[Figure]:
    (small, first), (large, second) = runs
    growth = second.peak_rss / first.peak_rss - 1
    name = f"4 memory {count(small)} -> {count(large)}"
    return [
        Figure(name, "peak RSS of the sync process",
               f"{megabytes(first.peak_rss)} -> {megabytes(second.peak_rss)}",
               f"< {megabytes(int(TARGET_RSS))} at {count(large)}",
               second.peak_rss < TARGET_RSS),
        Figure(name, "growth", f"{growth:+.0%}", f"< {TARGET_GROWTH:.0%}",
               growth < TARGET_GROWTH),
        Figure(name, "customers/s at each size",
               f"{per_second(first.records('create'), first.elapsed)} -> "
               f"{per_second(second.records('create'), second.elapsed)}"),
    ]
