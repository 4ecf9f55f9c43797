"""Backfill at the real limits: how close to the floor they set, and how many 429s.

Both emulators enforce what the APIs publish (Stripe 100 requests/s, search 20/s and 25/s
per endpoint; QBO 500 requests/min and 10 in flight per realm) and the project keeps the
connector's limits at those values. Both pipelines run in one child process, as
`run --all` runs them: invoices start alongside customers and pull a missing customer on
demand, so the two share the budgets.

The floor is the least time the limits allow for the calls the run made: for each limited
budget, calls / allowed rate, and the largest of those. It is also given *in order*, the sum
of each pipeline's own floor (its calls told apart by route), which is what running the
pipelines one after the other could at best achieve.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from report import Figure, count, percent
from world import (
    QBO_CONCURRENT,
    QBO_PER_MINUTE,
    STRIPE_ENDPOINT_RATE,
    STRIPE_RATE,
    STRIPE_SEARCH_RATE,
    Calls,
    SyncRun,
    world,
)

PIPELINES = ["customers-to-stripe", "invoices-to-stripe"]
TARGET_RATIO, TARGET_THROTTLED = 1.15, 0.01


def floor_seconds(calls: Calls) -> float:
    """The least time the published limits allow for these calls.

    Each budget allows its calls at its own rate: Stripe's account-wide one, search, and
    each endpoint on its own (the busiest route binds, e.g. `POST /v1/invoiceitems` at 25/s
    with three lines per invoice), and QBO's per-minute one.
    """
    kinds = calls.by_kind()
    stripe = kinds["stripe read"] + kinds["stripe search"] + kinds["stripe write"]
    qbo = kinds["quickbooks read"] + kinds["quickbooks write"] - calls.throttled["quickbooks"]
    busiest_endpoint = max((number for route, number in calls.by_route.items()
                            if route.startswith("stripe ")), default=0)
    return max(stripe / STRIPE_RATE, kinds["stripe search"] / STRIPE_SEARCH_RATE,
               busiest_endpoint / STRIPE_ENDPOINT_RATE, qbo / (QBO_PER_MINUTE / 60))


@dataclass
class AtLimits:
    n: int
    run: SyncRun

    @property
    def elapsed(self) -> float:
        return self.run.elapsed

    @property
    def calls(self) -> Calls:
        return self.run.calls

    @property
    def floor_pooled(self) -> float:
        return floor_seconds(self.calls)

    @property
    def floor_in_order(self) -> float:
        return sum(floor_seconds(part) for part in by_pipeline(self.calls))


def by_pipeline(calls: Calls) -> list[Calls]:
    """The calls of the customers pipeline (its routes name customers) and of the invoices."""
    customers, invoices = Calls(), Calls()
    for route, number in calls.by_route.items():
        (customers if "/v1/customers" in route else invoices).by_route[route] += number
    invoices.throttled.update(calls.throttled)
    return [customers, invoices]


def measure(folder: Path, n: int) -> AtLimits:
    with world(folder / f"limits-{n}") as here:
        here.seed(n)
        here.client_limits(stripe_rate=STRIPE_RATE, search_rate=STRIPE_SEARCH_RATE,
                           qbo_per_minute=QBO_PER_MINUTE, qbo_concurrent=QBO_CONCURRENT)
        here.enforce_real_limits()
        return AtLimits(n, here.sync(pipelines=PIPELINES))


def figures(result: AtLimits) -> list[Figure]:
    name = f"2 at the real limits {count(result.n)}"
    ratio, ordered = result.elapsed / result.floor_pooled, result.elapsed / result.floor_in_order
    share = result.calls.throttled_share
    return [
        Figure(name, "elapsed vs floor (pooled; one pipeline after the other)",
               f"{result.elapsed:,.1f} s vs {result.floor_pooled:,.1f} s = {ratio:.2f}x; "
               f"vs {result.floor_in_order:,.1f} s = {ordered:.2f}x",
               f"<= {TARGET_RATIO:.2f}x", ratio <= TARGET_RATIO),
        Figure(name, "requests answered 429",
               f"{percent(share)} ({count(sum(result.calls.throttled.values()))} of "
               f"{count(result.calls.total)})", f"< {percent(TARGET_THROTTLED)}",
               share < TARGET_THROTTLED),
    ]
