"""Payments back: customers pay Stripe invoices at a steady rate; how soon is QBO told?

A backfilled world (every QBO invoice is an open Stripe invoice) gets `ml-connector serve`
with both emulators' webhooks pointed at it. Payments are made through the Stripe
emulator's test helper at a fixed rate, step by step; each step waits for the inbox to drain
before the next. Rates are given in webhook events per second, as the endpoint sees them:
one invoice payment makes Stripe send five (invoice.paid, invoice.payment_succeeded,
invoice_payment.paid, payment_intent.succeeded, charge.succeeded), so 20 events/s is four
payments a second. The service has been running for a while when payments start, as in
use: the payment pipelines ran with the backfill, more than a minute earlier.

Latency is from the moment the customer paid (the Stripe event exists and its delivery
starts) to the moment the QBO Payment was stored (the emulator's own timestamp, so no
polling error), per payment.

A step is *held* when the inbox did not grow while payments came in (its depth, fitted by a
straight line over the step, grew by less than one second's worth of events) and it was
empty again within five seconds of the last payment.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from report import Figure, count, millis
from service import ServeProcess
from world import QBO_PER_MINUTE, World, wait_for, world

from ml_connector.connectors.qbo_stripe.sandbox import QBO_REALM

PIPELINES = ["customers-to-stripe", "invoices-to-stripe", "payments-to-quickbooks",
             "payment-intents-to-quickbooks"]
HOLD_DRAIN_SECONDS = 5.0
EVENTS_PER_PAYMENT = 5
SETTLED_SECONDS = 65.0   # a service that began more than a minute before the payments


@dataclass
class Step:
    rate: float      # payments per second
    paid_at: dict[str, float] = field(default_factory=dict)   # QBO invoice id -> paid time
    latencies: list[float] = field(default_factory=list)
    depths: list[tuple[float, int]] = field(default_factory=list)  # (seconds in, depth)
    drained_after: float | None = None   # seconds after the last payment
    qbo_calls: int = 0
    qbo_routes: dict[str, int] = field(default_factory=dict)
    events_per_payment: float = 1.0

    @property
    def max_depth(self) -> int:
        return max((depth for _, depth in self.depths), default=0)

    @property
    def growth(self) -> float:
        """How much the inbox grew while payments came in, by a least-squares line."""
        if len(self.depths) < 3:
            return 0.0
        times, depths = zip(*self.depths, strict=True)
        slope = statistics.linear_regression(times, depths).slope
        return slope * (times[-1] - times[0])

    @property
    def events_rate(self) -> float:
        return self.rate * self.events_per_payment

    @property
    def held(self) -> bool:
        return (self.drained_after is not None and self.drained_after <= HOLD_DRAIN_SECONDS
                and self.growth < self.rate * self.events_per_payment)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class DepthSampler(threading.Thread):
    """Samples the service's inbox depth four times a second while payments come in."""

    def __init__(self, serve: ServeProcess):
        super().__init__(daemon=True)
        self.serve, self.stop = serve, threading.Event()
        self.samples: list[tuple[float, int]] = []
        self.started = time.monotonic()

    def run(self) -> None:
        while not self.stop.wait(0.25):
            self.samples.append((time.monotonic() - self.started, self.serve.inbox_depth()))


def open_invoices(here: World) -> list[tuple[str, str]]:
    """(Stripe invoice id, QBO invoice id) of every open invoice, oldest first."""
    with here.stripe.state.lock:
        invoices = list(here.stripe.state.objects["invoice"].values())
    return [(i["id"], i["metadata"]["qbo_invoice_id"]) for i in invoices
            if i["status"] == "open" and "qbo_invoice_id" in i["metadata"]]


def qbo_payments(here: World) -> dict[str, float]:
    """QBO invoice id -> when the Payment applied to it was stored (emulator clock)."""
    with here.qbo.lock:
        realm = here.qbo.realm(QBO_REALM)
        found = {}
        for payment in realm.live("Payment"):
            for line in payment.data.get("Line", []):
                for link in line.get("LinkedTxn", []):
                    found[str(link["TxnId"])] = payment.updated_at
    return found


def run_step(here: World, serve: ServeProcess, pay: httpx.Client, rate: float,
             invoices: list[tuple[str, str]], seconds: float, drain_timeout: float) -> Step:
    step = Step(rate)
    batch = invoices[:max(1, int(rate * seconds))]
    del invoices[:len(batch)]
    sampler = DepthSampler(serve)
    qbo_before = Counter(here.qbo.requests)
    sampler.start()
    start = time.monotonic()
    for index, (stripe_id, qbo_id) in enumerate(batch):
        delay = start + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        step.paid_at[qbo_id] = time.time()
        pay.post(f"/_emulator/invoices/{stripe_id}/pay").raise_for_status()
    last = time.monotonic()
    sampler.stop.set()
    sampler.join()
    step.depths = sampler.samples
    done = wait_for(lambda: set(step.paid_at) <= set(qbo_payments(here)), drain_timeout, 0.1)
    wait_for(lambda: serve.inbox_depth() == 0, 10 if done else 1, 0.1)
    step.drained_after = time.monotonic() - last if done else None
    stored = qbo_payments(here)
    step.latencies = [stored[q] - t for q, t in step.paid_at.items() if q in stored]
    step.qbo_routes = dict(Counter(here.qbo.requests) - qbo_before)
    step.qbo_calls = sum(step.qbo_routes.values())
    return step


def measure(folder: Path, event_rates: list[float], seconds: float, drain_timeout: float
            ) -> list[Step]:
    rates = [events / EVENTS_PER_PAYMENT for events in event_rates]
    needed = int(sum(rate * seconds for rate in rates)) + 10
    with world(folder / "webhooks") as here:
        here.seed(needed)
        began = time.monotonic()
        here.sync(pipelines=PIPELINES)
        here.client_limits(stripe_rate=100, search_rate=20, qbo_per_minute=450,
                           qbo_concurrent=10)
        here.enforce_real_limits()
        invoices = open_invoices(here)
        with ServeProcess(here.sandbox.project_file) as serve:
            here.sandbox.connect_webhooks(serve.url)
            time.sleep(max(0.0, began + SETTLED_SECONDS - time.monotonic()))
            with httpx.Client(base_url=here.sandbox.stripe_url, timeout=30) as pay:
                return _ramp(here, serve, pay, rates, invoices, seconds, drain_timeout)


def _ramp(here: World, serve: ServeProcess, pay: httpx.Client, rates: list[float],
          invoices: list[tuple[str, str]], seconds: float, drain_timeout: float
          ) -> list[Step]:
    steps = []
    for rate in rates:
        events_before = _delivered(here)
        step = run_step(here, serve, pay, rate, invoices, seconds, drain_timeout)
        step.events_per_payment = max(1.0, (_delivered(here) - events_before)
                                      / max(1, len(step.paid_at)))
        steps.append(step)
        if step.drained_after is None:
            break   # still catching up: faster steps would only measure the backlog
    return steps


def _delivered(here: World) -> int:
    return sum(1 for a in list(here.stripe.webhooks.attempts) if a.get("succeeded"))


def figures(steps: list[Step], target_events: float) -> list[Figure]:
    name = "5 payments back"
    target_rate = target_events / EVENTS_PER_PAYMENT
    rows = []
    for step in steps:
        if not step.latencies:
            continue
        qbo_per_payment = step.qbo_calls / max(1, len(step.paid_at))
        at_target = step.rate == target_rate
        rows.append(Figure(
            name, f"webhook -> QBO Payment at {step.events_rate:g} events/s "
                  f"({step.rate:g} payments/s)",
            f"p50 {millis(step.quantile(0.5))}, p99 {millis(step.quantile(0.99))}; inbox "
            f"max {count(step.max_depth)}, {'held' if step.held else 'grew'}; "
            f"{qbo_per_payment:.2f} QBO calls per payment ({_routes(step)})",
            "p99 < 1 s" if at_target else "",
            step.quantile(0.99) < 1.0 if at_target else None))
    held = [s for s in steps if s.held]
    calls = sum(s.qbo_calls for s in steps) / max(1, sum(len(s.paid_at) for s in steps))
    ceiling = QBO_PER_MINUTE / 60 / max(0.1, calls)
    fastest = max(held, key=lambda s: s.rate) if held else None
    rows.append(Figure(name, "highest rate held (inbox not growing)",
                       f"{fastest.events_rate:g} events/s ({fastest.rate:g} payments/s)"
                       if fastest else "none of the steps",
                       f"QBO's {QBO_PER_MINUTE}/min allows ~{ceiling:.1f} payments/s", None))
    if not any(s.rate == target_rate for s in steps):
        rows.append(Figure(name, f"webhook -> QBO Payment at {target_events:g} events/s",
                           "not reached: a slower step never drained", "p99 < 1 s", False))
    return rows


def _routes(step: Step) -> str:
    paid = max(1, len(step.paid_at))
    return ", ".join(f"{route} {calls / paid:.2f}"
                     for route, calls in sorted(step.qbo_routes.items(), key=lambda r: -r[1]))


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def summary(steps: list[Step]) -> dict[str, Any]:
    return {f"{s.events_rate:g} events/s": {"p50": s.quantile(0.5), "p99": s.quantile(0.99),
                              "mean": _mean(s.latencies), "max_depth": s.max_depth,
                              "drained_after": s.drained_after, "qbo_calls": s.qbo_calls,
                              "payments": len(s.paid_at), "growth": s.growth,
                              "held": s.held, "qbo_routes": s.qbo_routes}
            for s in steps if s.latencies}
