"""Defects the fault run found, each pinned by a small test that recreates its moment.

The moments are a kill between two requests, an answer lost or late, a request of a dead
attempt landing after the next attempt began. A "kill" here is an exception no retry
catches, raised by the transport just before a chosen request leaves: the process stops
mid-write as under SIGKILL, and the next attempt starts from whatever both systems hold.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ml_connector.connectors.quickbooks.settings import QboSettings
from ml_connector.connectors.quickbooks.token_endpoint import TokenEndpoint
from ml_connector.connectors.stripe.api import StripeApi
from ml_connector.connectors.stripe.connector import StripeConnector
from ml_connector.connectors.stripe.emulator import create_app as stripe_app
from ml_connector.connectors.stripe.settings import StripeSettings
from ml_connector.engine.errors import RetryableError
from ml_connector.engine.store import Store
from ml_connector.engine.sync.outcome import RunSummary
from ml_connector.engine.testing.servers import serve_in_thread
from ml_connector.engine.triggers.schedule import PollScheduler

STRIPE_KEY = "sk_test_fake123regressions"
DUE = 1_900_000_000


class Killed(BaseException):
    """The process died here (not an error any retry would catch)."""


class KillingTransport(httpx.HTTPTransport):
    """Lets requests through until `dies(request)` says this one is where the process dies."""

    def __init__(self, dies: Callable[[httpx.Request], bool]):
        super().__init__()
        self.dies = dies

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.dies(request):
            raise Killed(f"killed before {request.method} {request.url.path}")
        return super().handle_request(request)


def after(count: int, method: str, path: str) -> Callable[[httpx.Request], bool]:
    """Dies at the (count+1)-th request to `method path` (the first `count` go through)."""
    seen = [0]

    def dies(request: httpx.Request) -> bool:
        if request.method == method and request.url.path == path:
            seen[0] += 1
            return seen[0] > count
        return False

    return dies


def adding_lines(count: int) -> Callable[[httpx.Request], bool]:
    """Dies at the (count+1)-th add_lines request, whatever the draft."""
    seen = [0]

    def dies(request: httpx.Request) -> bool:
        if request.method == "POST" and request.url.path.endswith("/add_lines"):
            seen[0] += 1
            return seen[0] > count
        return False

    return dies


@pytest.fixture(scope="module")
def stripe_url() -> Iterator[str]:
    app = stripe_app({"api_keys": [STRIPE_KEY]})
    with serve_in_thread(app) as server:
        yield server.url
        app.state.emulator.close()


def stripe(url: str, transport: httpx.BaseTransport | None = None) -> StripeConnector:
    settings = StripeSettings(connection="stripe", secret_key=STRIPE_KEY, api_base=url)
    return StripeConnector(settings, StripeApi(settings, transport=transport))


def invoice(customer: str, amounts: list[int], *, finalize: bool = True) -> dict[str, Any]:
    return {"customer": customer, "currency": "usd", "collection_method": "send_invoice",
            "due_date": DUE, "metadata": {"qbo_invoice_id": "61"},
            "lines": [{"description": f"line {i}", "amount": a}
                      for i, a in enumerate(amounts)],
            "total": sum(amounts), "finalize": finalize}


def test_a_draft_update_killed_between_its_writes_is_finished_by_the_next_attempt(
        stripe_url: str) -> None:
    """Found by the fault run: 'the Stripe draft totals 1875 but the source totals 6875'.

    An update of a draft replaces its lines. Killed after the first new line, the next
    attempt deleted that line and asked for it again with the same idempotency key, which
    only replayed the deleted line: the invoice came out short, and the draft was deleted.
    Lines now go in one add_lines request; the kill falls after the old lines were deleted.
    """
    steady = stripe(stripe_url)
    customer = steady.create("customer", {"name": "Kate"}, idempotency_key="reg-c1").id
    draft = steady.create("invoice", invoice(customer, [1000, 875], finalize=False),
                          idempotency_key="reg-i1")
    wanted = invoice(customer, [5000, 1000, 875])
    dying = stripe(stripe_url, KillingTransport(adding_lines(0)))
    with pytest.raises(Killed):
        dying.update("invoice", draft.id, wanted)
    updated = steady.update("invoice", draft.id, wanted)
    assert updated.data["status"] == "open"
    assert updated.data["total"] == 6875
    assert sorted(line["amount"] for line in updated.data["lines"]["data"]) == [875, 1000,
                                                                                5000]


def test_a_deleted_line_whose_answer_was_lost_does_not_recreate_the_invoice(
        stripe_url: str) -> None:
    """A DELETE applied but unanswered is sent again and meets a 404: the line is gone,
    as wanted. Read as "the invoice is gone", it made the engine create a second one."""
    steady = stripe(stripe_url)
    customer = steady.create("customer", {"name": "Dana"}, idempotency_key="reg-c2").id
    draft = steady.create("invoice", invoice(customer, [1200], finalize=False),
                          idempotency_key="reg-i2")
    httpx.post(f"{stripe_url}/_emulator/faults", json={"faults": [
        {"kind": "drop", "method": "DELETE", "path": "/v1/invoiceitems", "times": 1}]})
    updated = steady.update("invoice", draft.id, invoice(customer, [1500, 300]))
    assert updated.id == draft.id and updated.data["total"] == 1800


def test_a_customer_deleted_without_an_answer_counts_as_deleted(stripe_url: str) -> None:
    steady = stripe(stripe_url)
    customer = steady.create("customer", {"name": "Leaving"}, idempotency_key="reg-c3").id
    httpx.post(f"{stripe_url}/_emulator/faults", json={"faults": [
        {"kind": "drop", "method": "DELETE", "path": "/v1/customers", "times": 1}]})
    removed = steady.remove("customer", customer, mode="delete")
    assert removed is not None and removed.deleted
    assert steady.get("customer", customer) is None or steady.get("customer", customer).deleted


def test_a_create_whose_draft_was_deleted_makes_a_successor_once(stripe_url: str) -> None:
    """A draft deleted after its create (its total was refused, say) is what the create's
    key replays for a day: the next attempt must make a new draft, not fail on the old."""
    steady = stripe(stripe_url)
    customer = steady.create("customer", {"name": "Successor"}, idempotency_key="reg-c4").id
    wanted = invoice(customer, [700, 300])
    dying = stripe(stripe_url, KillingTransport(adding_lines(0)))
    with pytest.raises(Killed):
        dying.create("invoice", wanted, idempotency_key="reg-i4")
    first = httpx.get(f"{stripe_url}/v1/invoices", auth=(STRIPE_KEY, "")).json()["data"][0]
    httpx.delete(f"{stripe_url}/v1/invoices/{first['id']}", auth=(STRIPE_KEY, ""))
    made = [steady.create("invoice", wanted, idempotency_key="reg-i4") for _ in range(2)]
    assert made[0].id == made[1].id != first["id"]
    assert made[0].data["status"] == "open" and made[0].data["total"] == 1000


class MeddlingTransport(httpx.HTTPTransport):
    """Runs `meddle` once, just before the first request that `when(request)` picks."""

    def __init__(self, when: Callable[[httpx.Request], bool], meddle: Callable[[], None]):
        super().__init__()
        self.when, self.meddle, self.done = when, meddle, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.done and self.when(request):
            self.done = True
            self.meddle()
        return super().handle_request(request)


def test_a_line_landing_late_is_repaired_not_blamed_on_the_mapping(stripe_url: str) -> None:
    """An add from an interrupted attempt that the server applies late changes the total
    after the lines were checked: that is no reason to delete the draft and fail for good."""
    steady = stripe(stripe_url)
    customer = steady.create("customer", {"name": "Late"}, idempotency_key="reg-c5").id
    draft = steady.create("invoice", invoice(customer, [400], finalize=False),
                          idempotency_key="reg-i5")

    def late_line() -> None:
        httpx.post(f"{stripe_url}/v1/invoiceitems", auth=(STRIPE_KEY, ""), data={
            "invoice": draft.id, "customer": customer, "amount": "999"})

    second_read = after(1, "GET", f"/v1/invoices/{draft.id}")
    meddling = stripe(stripe_url, MeddlingTransport(second_read, late_line))
    updated = meddling.update("invoice", draft.id, invoice(customer, [400, 600]))
    assert updated.id == draft.id and updated.data["status"] == "open"
    assert [line["amount"] for line in updated.data["lines"]["data"]] == [400, 600]


def test_a_token_refresh_slower_than_the_api_timeout_still_lands() -> None:
    """Found by the fault run (API timeout set to 1s, machine busy): a refresh answer that
    came later than the API timeout was abandoned. Intuit had already rotated the refresh
    token, so the one kept was dead: invalid_grant, and the sync stopped for good."""
    answered: list[str] = []

    async def token(request: Request) -> JSONResponse:
        await asyncio.sleep(0.6)
        answered.append("refresh")
        return JSONResponse({"access_token": "new-access", "refresh_token": "new-refresh",
                             "expires_in": 3600, "x_refresh_token_expires_in": 8_726_400})

    app = Starlette(routes=[Route("/token", token, methods=["POST"])])
    with serve_in_thread(app) as server:
        settings = QboSettings.from_mapping("quickbooks", {
            "client_id": "id", "client_secret": "secret-fake123", "timeout_seconds": 0.2,
            "token_url": f"{server.url}/token"})
        endpoint = TokenEndpoint(settings)
        fresh = endpoint.refresh("old-refresh", "9341455000000")
        endpoint.close()
    assert answered == ["refresh"] and fresh.refresh_token == "new-refresh"


class StoppedRunner:
    """A runner whose every run is stopped by authorisation, as after a revoked grant."""

    def __init__(self, store: Store) -> None:
        ends = SimpleNamespace(source=SimpleNamespace(connection="quickbooks"),
                               target=SimpleNamespace(connection="stripe"))
        connections = {name: SimpleNamespace(connector=name) for name in ("quickbooks", "stripe")}
        self.runtime = SimpleNamespace(
            pipelines=SimpleNamespace(order=["customers-to-stripe"], get=lambda _name: ends),
            project=SimpleNamespace(connections=connections), store=store,
            connector=lambda _name: object())   # connectors without a health() probe
    reason = ("QuickBooks no longer accepts this connection's refresh token; run "
              "`ml-connector connections auth quickbooks` to authorise again")

    def fork(self, *, trigger: str) -> StoppedRunner:
        return self

    def run(self, name: str) -> RunSummary:
        return RunSummary(name, "run-1", stopped=self.reason)


def test_a_poll_stopped_by_authorisation_says_so_in_the_log(
        caplog: pytest.LogCaptureFixture, store: Store) -> None:
    """Found reading the fault run's log: `serve` polled on without a word while every poll
    stopped for want of authorisation; only a webhook, if one came, logged the reason."""
    scheduler = PollScheduler(StoppedRunner(store), threading.Event(), None,  # type: ignore[arg-type]
                              intervals={"customers-to-stripe": 60})
    with caplog.at_level(logging.ERROR, logger="ml_connector.schedule"):
        assert scheduler.run_due() == ["customers-to-stripe"]
    assert "customers-to-stripe" in caplog.text
    assert "ml-connector connections auth quickbooks" in caplog.text


def test_a_line_sent_by_a_dead_attempt_and_again_by_the_next_makes_one_line(
        stripe_url: str) -> None:
    """Found by the fault run: an invoice was finalized with its Tax line twice. The first
    attempt's request for that line was slow; the process gave up and the next attempt added
    the line under a fresh key; then the slow one landed too. Both must ask under one key."""
    steady = stripe(stripe_url)
    customer = steady.create("customer", {"name": "Twice"}, idempotency_key="reg-c6").id
    draft = steady.create("invoice", invoice(customer, [100], finalize=False),
                          idempotency_key="reg-i6")
    httpx.post(f"{stripe_url}/_emulator/faults", json={"faults": [
        {"kind": "slow", "delay": 1.0, "method": "POST",
         "path": f"/v1/invoices/{draft.id}/add_lines", "times": 1}]})
    impatient = StripeSettings(connection="stripe", secret_key=STRIPE_KEY, api_base=stripe_url,
                               timeout_seconds=0.3, max_attempts=1)
    wanted = invoice(customer, [100, 200, 300], finalize=False)
    with pytest.raises(RetryableError):
        StripeConnector(impatient, StripeApi(impatient)).update("invoice", draft.id, wanted)
    steady.update("invoice", draft.id, wanted)
    time.sleep(1.5)  # let the slow request of the first attempt land, if it has not yet
    lines = steady.get("invoice", draft.id).data["lines"]["data"]
    assert [line["amount"] for line in lines] == [100, 200, 300]


def test_a_create_killed_after_add_lines_makes_the_wanted_lines_once(stripe_url: str) -> None:
    """Killed once Stripe applied add_lines (before finalize), the retried create replays
    the draft and the add_lines, then finalizes: three lines, not six, on one invoice."""
    steady = stripe(stripe_url)
    customer = steady.create("customer", {"name": "Once"}, idempotency_key="reg-c7").id
    wanted = invoice(customer, [100, 200, 300])

    def finalizing(request: httpx.Request) -> bool:
        return request.url.path.endswith("/finalize")

    with pytest.raises(Killed):
        stripe(stripe_url, KillingTransport(finalizing)).create(
            "invoice", wanted, idempotency_key="reg-i7")
    made = steady.create("invoice", wanted, idempotency_key="reg-i7")
    assert made.data["status"] == "open"
    assert [line["amount"] for line in made.data["lines"]["data"]] == [100, 200, 300]
    listed = httpx.get(f"{stripe_url}/v1/invoices", params={"customer": customer},
                       auth=(STRIPE_KEY, "")).json()["data"]
    assert [i["id"] for i in listed] == [made.id]


def test_an_add_lines_answer_lost_is_replayed_not_doubled(stripe_url: str) -> None:
    """The connection drops after Stripe applied add_lines; the client sends it again under
    the same key and gets the first answer back, so the lines are added once."""
    steady = stripe(stripe_url)
    customer = steady.create("customer", {"name": "Dropped"}, idempotency_key="reg-c8").id
    httpx.post(f"{stripe_url}/_emulator/faults", json={"faults": [
        {"kind": "drop", "method": "POST", "path": "/v1/invoices/", "times": 1}]})
    made = steady.create("invoice", invoice(customer, [100, 200, 300]),
                         idempotency_key="reg-i8")
    assert made.data["status"] == "open" and made.data["total"] == 600
    lines = steady.get("invoice", made.id).data["lines"]["data"]
    assert [line["amount"] for line in lines] == [100, 200, 300]
