"""Defects the fault run found, each pinned by a small test that kills at the exact moment.

A "kill" here is an exception no retry catches, raised by the transport just before a
chosen request leaves: the process stops mid-write as under SIGKILL, and the next attempt
starts from whatever both systems hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ml_connector.connectors.stripe.api import StripeApi
from ml_connector.connectors.stripe.connector import StripeConnector
from ml_connector.connectors.stripe.emulator import create_app as stripe_app
from ml_connector.connectors.stripe.settings import StripeSettings
from ml_connector.engine.testing.servers import serve_in_thread

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


def test_a_draft_update_killed_between_lines_is_finished_by_the_next_attempt(
        stripe_url: str) -> None:
    """Found by the fault run: 'the Stripe draft totals 1875 but the source totals 6875'.

    An update of a draft replaces its lines. Killed after the first new line, the next
    attempt deleted that line and asked for it again with the same idempotency key, which
    only replayed the deleted line: the invoice came out short, and the draft was deleted.
    """
    steady = stripe(stripe_url)
    customer = steady.create("customer", {"name": "Kate"}, idempotency_key="reg-c1").id
    draft = steady.create("invoice", invoice(customer, [1000, 875], finalize=False),
                          idempotency_key="reg-i1")
    wanted = invoice(customer, [1000, 875, 5000])
    dying = stripe(stripe_url, KillingTransport(after(1, "POST", "/v1/invoiceitems")))
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
