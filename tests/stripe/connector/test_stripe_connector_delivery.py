"""How a finalized invoice reaches the customer: mailed by Stripe, or payable by its link.

The invoice also carries the number the customer knows from QuickBooks, as its own number
and as a custom field, and the record's answer says what Stripe made of it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from stripe_flows import RunningEmulator

from ml_connector.engine.errors import PermanentError

DUE = 1_900_000_000


def _payload(connector: Any, **extra: Any) -> dict[str, Any]:
    customer = connector.create("customer", {"name": "Buyer"}, idempotency_key="cust").id
    return {"customer": customer, "currency": "usd", "collection_method": "send_invoice",
            "due_date": DUE, "metadata": {"qbo_invoice_id": "140"},
            "lines": [{"description": "Hours", "amount": 12_500}], "total": 12_500, **extra}


def _sent(emulator: RunningEmulator, invoice_id: str) -> list[int]:
    return list(emulator.helper_get(f"invoices/{invoice_id}/sent")["sent_at"])


def _send_requests(emulator: RunningEmulator) -> list[dict[str, Any]]:
    return [r for r in emulator.emulator.state.requests
            if r["route"] == "/v1/invoices/{id}/send"]


def test_email_finalizes_and_sends_once_even_when_the_create_is_retried(
        stripe_emulator: RunningEmulator, stripe_connector: Any,
        stripe_requests_follow_the_contract: list[httpx.Request]) -> None:
    payload = _payload(stripe_connector, delivery="email", number="QB-1042",
                       custom_fields=[{"name": "Invoice", "value": "QB-1042"}])
    first = stripe_connector.create("invoice", payload, idempotency_key="inv-mail")
    again = stripe_connector.create("invoice", payload, idempotency_key="inv-mail")
    assert again.id == first.id
    assert first.data["status"] == "open"          # sending does not change the status
    assert first.data["number"] == "QB-1042"
    assert first.data["custom_fields"] == [{"name": "Invoice", "value": "QB-1042"}]
    assert len(_sent(stripe_emulator, first.id)) == 1
    events = [e["type"] for e in stripe_emulator.emulator.state.events
              if e["data"]["object"].get("id") == first.id]
    assert events.count("invoice.sent") == 1
    assert first.answer["sent"] is True
    assert first.answer["number"] == "QB-1042" and first.answer["status"] == "open"
    assert first.answer["hosted_invoice_url"] == first.data["hosted_invoice_url"]
    # The send, the number and the custom fields are among the requests the contract
    # checks against Stripe's API description once the test ends.
    checked = {(r.method, r.url.path) for r in stripe_requests_follow_the_contract}
    assert ("POST", f"/v1/invoices/{first.id}/send") in checked
    creates = [r.content.decode() for r in stripe_requests_follow_the_contract
               if (r.method, r.url.path) == ("POST", "/v1/invoices")]
    assert any("number=QB-1042" in body and "custom_fields%5B0%5D%5Bname%5D=Invoice" in body
               for body in creates)


def test_payable_is_not_mailed_and_its_pay_link_pays_the_invoice(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    record = stripe_connector.create("invoice", _payload(stripe_connector, delivery="payable"),
                                     idempotency_key="inv-link")
    assert _send_requests(stripe_emulator) == [] and _sent(stripe_emulator, record.id) == []
    assert "sent" not in record.answer
    link = record.answer["hosted_invoice_url"]
    assert link.startswith(stripe_emulator.url)
    page = httpx.get(link).json()
    assert page["id"] == record.id and page["amount_remaining"] == 12_500
    assert httpx.post(link, json={}).status_code == 200
    paid = stripe_connector.get("invoice", record.id)
    assert paid.data["status"] == "paid" and paid.data["amount_paid"] == 12_500


def test_none_leaves_the_invoice_open_and_unsent(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    record = stripe_connector.create("invoice", _payload(stripe_connector, delivery="none"),
                                     idempotency_key="inv-none")
    assert record.data["status"] == "open"
    assert _send_requests(stripe_emulator) == []


def test_an_invoice_paid_elsewhere_is_not_mailed(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    payload = _payload(stripe_connector, delivery="email", paid_out_of_band=True)
    record = stripe_connector.create("invoice", payload, idempotency_key="inv-cheque")
    assert record.data["status"] == "paid"
    assert _send_requests(stripe_emulator) == []


def test_a_draft_finalized_by_a_later_update_is_sent_then(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    payload = _payload(stripe_connector, delivery="email", finalize=False)
    draft = stripe_connector.create("invoice", payload, idempotency_key="inv-draft")
    assert draft.data["status"] == "draft" and _sent(stripe_emulator, draft.id) == []
    finalized = stripe_connector.update("invoice", draft.id, {**payload, "finalize": True})
    assert finalized.data["status"] == "open" and finalized.answer["sent"] is True
    stripe_connector.update("invoice", draft.id, {**payload, "finalize": True,
                                                  "description": "edited"})
    assert len(_sent(stripe_emulator, draft.id)) == 1   # an open invoice is not sent again


def test_an_unknown_delivery_is_refused_before_anything_is_written(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    payload = _payload(stripe_connector, delivery="fax")
    stripe_emulator.emulator.state.requests.clear()
    with pytest.raises(PermanentError, match="delivery 'fax' is not one of email, payable"):
        stripe_connector.create("invoice", payload, idempotency_key="inv-fax")
    assert stripe_emulator.emulator.state.requests == []
