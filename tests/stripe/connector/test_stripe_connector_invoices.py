"""Invoices: draft, lines, total checked to the minor unit, finalized; the change policy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from stripe_flows import RunningEmulator, ok

from ml_connector.engine import WRITE_ONLY, FieldClearing
from ml_connector.engine.errors import ImmutableTargetError, PermanentError

DUE = 1_900_000_000


def minor_units(amount: str, exponent: int) -> int:
    return int(Decimal(amount).scaleb(exponent))


def _customer(connector: Any) -> str:
    return str(connector.create("customer", {"name": "Buyer"}, idempotency_key="cust").id)


def invoice_payload(customer: str, currency: str, amounts: list[int],
                    **extra: Any) -> dict[str, Any]:
    return {"customer": customer, "currency": currency, "collection_method": "send_invoice",
            "due_date": DUE, "metadata": {"qbo_invoice_id": "130"},
            "lines": [{"description": f"line {i}", "amount": a}
                      for i, a in enumerate(amounts)],
            "total": sum(amounts), **extra}


@pytest.mark.parametrize(("currency", "exponent", "source_lines", "source_total"), [
    ("usd", 2, ["150.00", "25.50", "-10.00", "0.01"], "165.51"),
    ("jpy", 0, ["5000", "1200"], "6200"),
    ("kwd", 3, ["12.500", "1.750", "0.120"], "14.370"),
])
def test_invoice_total_equals_the_source_to_the_minor_unit(
        stripe_connector: Any, currency: str, exponent: int, source_lines: list[str],
        source_total: str) -> None:
    amounts = [minor_units(a, exponent) for a in source_lines]
    payload = invoice_payload(_customer(stripe_connector), currency, amounts)
    payload["total"] = minor_units(source_total, exponent)
    record = stripe_connector.create("invoice", payload, idempotency_key=f"inv-{currency}")
    data = record.data
    assert data["status"] == "open" and data["number"]
    assert data["total"] == data["amount_due"] == minor_units(source_total, exponent)
    assert data["currency"] == currency and data["auto_advance"] is False
    assert len(record.request_ids) >= 3


def test_a_total_that_does_not_match_stops_before_finalizing(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    payload = invoice_payload(_customer(stripe_connector), "usd", [1000, 999])
    payload["total"] = 2000
    with pytest.raises(PermanentError, match="totals 1999 but the source totals 2000"):
        stripe_connector.create("invoice", payload, idempotency_key="inv-bad")
    assert ok(stripe_emulator.http.get("/v1/invoices"))["data"] == []


def _routes(emulator: RunningEmulator) -> list[str]:
    return [f"{r['method']} {r['route']}" for r in emulator.emulator.state.requests]


def test_a_three_line_invoice_takes_one_request_for_its_lines(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    payload = invoice_payload(_customer(stripe_connector), "usd", [1000, 2000, 3000])
    stripe_emulator.emulator.state.requests.clear()
    record = stripe_connector.create("invoice", payload, idempotency_key="inv-one")
    assert [line["description"] for line in record.data["lines"]["data"]] == [
        "line 0", "line 1", "line 2"]
    assert record.data["status"] == "open" and record.data["total"] == 6000
    assert _routes(stripe_emulator) == [
        "POST /v1/invoices", "POST /v1/invoices/{id}/add_lines",
        "POST /v1/invoices/{id}/finalize"]


def test_a_create_killed_after_its_lines_resumes_without_a_second_set(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    payload = invoice_payload(_customer(stripe_connector), "usd", [1000, 2000, 3000])
    # The first attempt dies once Stripe applied add_lines, before it read the answer.
    original = stripe_connector.api.post

    def dies_after_add_lines(path: str, params: Any = None, *,
                             idempotency_key: str | None = None) -> Any:
        reply = original(path, params, idempotency_key=idempotency_key)
        if path.endswith("/add_lines"):
            raise PermanentError("simulated crash after add_lines")
        return reply

    stripe_connector.api.post = dies_after_add_lines
    with pytest.raises(PermanentError, match="simulated crash"):
        stripe_connector.create("invoice", payload, idempotency_key="inv-resume")
    stripe_connector.api.post = original
    record = stripe_connector.create("invoice", payload, idempotency_key="inv-resume")
    assert record.data["status"] == "open" and record.data["total"] == 6000
    assert [line["amount"] for line in record.data["lines"]["data"]] == [1000, 2000, 3000]
    assert len(ok(stripe_emulator.http.get("/v1/invoices"))["data"]) == 1
    items = ok(stripe_emulator.http.get("/v1/invoiceitems", params={"limit": 100}))["data"]
    assert len(items) == 3


def test_an_interrupted_unit_price_create_resumes_without_a_second_line(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    """Unit-price lines go one invoice item each; a crash between two resumes cleanly."""
    payload = invoice_payload(_customer(stripe_connector), "usd", [])
    payload["lines"] = [{"description": f"hours {i}", "unit_amount_decimal": Decimal(100),
                         "quantity": i} for i in (1, 2, 3)]
    payload["total"] = 600
    calls = {"n": 0}
    original = stripe_connector.api.post

    def flaky(path: str, params: Any = None, *, idempotency_key: str | None = None) -> Any:
        if path == "/v1/invoiceitems":
            calls["n"] += 1
            if calls["n"] == 3:
                raise PermanentError("simulated crash before the third line")
        return original(path, params, idempotency_key=idempotency_key)

    stripe_connector.api.post = flaky
    with pytest.raises(PermanentError, match="simulated crash"):
        stripe_connector.create("invoice", payload, idempotency_key="inv-unit-resume")
    stripe_connector.api.post = original
    record = stripe_connector.create("invoice", payload, idempotency_key="inv-unit-resume")
    assert record.data["status"] == "open" and record.data["total"] == 600
    assert [line["amount"] for line in record.data["lines"]["data"]] == [100, 200, 300]
    assert len(ok(stripe_emulator.http.get("/v1/invoices"))["data"]) == 1


def test_more_lines_than_a_stripe_invoice_holds_fail_before_any_write(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    payload = invoice_payload(_customer(stripe_connector), "usd", [1] * 251)
    with pytest.raises(PermanentError, match=r"qbo_invoice_id.*would have 251 lines.*at most 250"):
        stripe_connector.create("invoice", payload, idempotency_key="inv-251")
    assert ok(stripe_emulator.http.get("/v1/invoices"))["data"] == []
    draft = stripe_connector.create("invoice", invoice_payload(
        _customer(stripe_connector), "usd", [1], finalize=False), idempotency_key="inv-d1")
    with pytest.raises(PermanentError, match=f"Stripe invoice {draft.id} would have 251"):
        stripe_connector.update("invoice", draft.id, {**payload, "finalize": False})


def test_a_draft_of_250_lines_is_written(stripe_connector: Any) -> None:
    payload = invoice_payload(_customer(stripe_connector), "usd", [1] * 250, finalize=False)
    record = stripe_connector.create("invoice", payload, idempotency_key="inv-250")
    assert record.data["total"] == 250


def test_create_a_draft_only(stripe_connector: Any) -> None:
    payload = invoice_payload(_customer(stripe_connector), "usd", [500], finalize=False)
    assert stripe_connector.create("invoice", payload,
                                   idempotency_key="inv-draft").data["status"] == "draft"


def test_paid_elsewhere_is_marked_paid_out_of_band(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    payload = invoice_payload(_customer(stripe_connector), "usd", [500],
                              paid_out_of_band=True)
    record = stripe_connector.create("invoice", payload, idempotency_key="inv-oob")
    assert record.data["status"] == "paid" and record.data["amount_paid"] == 500
    charges = ok(stripe_emulator.http.get("/v1/charges"))["data"]
    assert charges == [], "nothing was charged"


def test_unit_price_lines(stripe_connector: Any) -> None:
    payload = invoice_payload(_customer(stripe_connector), "usd", [])
    payload["lines"] = [{"description": "hours", "unit_amount_decimal": Decimal("12.5"),
                         "quantity": 3}]
    payload["total"] = 38  # 37.5 rounds half up
    assert stripe_connector.create("invoice", payload,
                                   idempotency_key="inv-unit").data["total"] == 38


def _finalized(connector: Any, amounts: list[int]) -> tuple[Any, dict[str, Any]]:
    payload = invoice_payload(_customer(connector), "usd", amounts)
    return connector.create("invoice", payload, idempotency_key=f"inv-{amounts}"), payload


def test_a_finalized_invoice_refuses_an_amount_change(stripe_connector: Any) -> None:
    record, payload = _finalized(stripe_connector, [1000, 2000])
    changed = {**payload, "lines": [*payload["lines"][:1], {"description": "line 1",
                                                          "amount": 2500}], "total": 3500}
    with pytest.raises(ImmutableTargetError, match="amounts cannot change"):
        stripe_connector.update("invoice", record.id, changed)
    assert stripe_connector.get("invoice", record.id).data["total"] == 3000


def test_a_finalized_invoice_takes_descriptive_changes(stripe_connector: Any) -> None:
    record, payload = _finalized(stripe_connector, [1000])
    changed = {**payload, "description": "New memo",
               "metadata": {"qbo_invoice_id": "130", "qbo_doc_number": "1042"}}
    updated = stripe_connector.update("invoice", record.id, changed)
    assert updated.data["description"] == "New memo"
    assert updated.data["metadata"]["qbo_doc_number"] == "1042"
    assert updated.data["total"] == 1000


def test_void_then_recreate_policy_building_blocks(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    record, payload = _finalized(stripe_connector, [1000])
    voided = stripe_connector.remove("invoice", record.id, mode="void")
    assert voided.data["status"] == "void"
    changed = {**payload, "lines": [{"description": "line 0", "amount": 1200}], "total": 1200}
    again = stripe_connector.create("invoice", changed, idempotency_key="inv-gen1")
    assert again.id != record.id and again.data["total"] == 1200
    statuses = sorted(i["status"] for i in ok(stripe_emulator.http.get("/v1/invoices"))["data"])
    assert statuses == ["open", "void"]


def test_a_draft_takes_any_change(stripe_connector: Any) -> None:
    payload = invoice_payload(_customer(stripe_connector), "usd", [1000, 2000], finalize=False)
    record = stripe_connector.create("invoice", payload, idempotency_key="inv-d")
    changed = {**payload, "lines": [{"description": "only", "amount": 700}], "total": 700,
               "finalize": True}
    updated = stripe_connector.update("invoice", record.id, changed)
    assert updated.data["status"] == "open" and updated.data["total"] == 700
    assert [line["description"] for line in updated.data["lines"]["data"]] == ["only"]


def test_paid_invoices_cannot_be_voided(stripe_emulator: RunningEmulator,
                                        stripe_connector: Any) -> None:
    record, _ = _finalized(stripe_connector, [1000])
    stripe_emulator.helper(f"invoices/{record.id}/pay", {})
    with pytest.raises(PermanentError, match="paid and cannot be voided"):
        stripe_connector.remove("invoice", record.id, mode="void")


def test_drafts_are_deleted_and_finalized_ones_not(stripe_connector: Any) -> None:
    draft = stripe_connector.create("invoice", invoice_payload(
        _customer(stripe_connector), "usd", [100], finalize=False), idempotency_key="d1")
    assert stripe_connector.remove("invoice", draft.id, mode="delete").deleted
    assert stripe_connector.get("invoice", draft.id) is None
    final, _ = _finalized(stripe_connector, [100])
    with pytest.raises(PermanentError, match="only drafts can be deleted"):
        stripe_connector.remove("invoice", final.id, mode="delete")


def test_later_out_of_band_payment_through_update(stripe_connector: Any) -> None:
    record, payload = _finalized(stripe_connector, [1000])
    paid = stripe_connector.update("invoice", record.id, {**payload, "paid_out_of_band": True})
    assert paid.data["status"] == "paid"
    again = stripe_connector.update("invoice", record.id, {**payload, "paid_out_of_band": True})
    assert again.data["status"] == "paid"


def test_find_invoice_by_metadata(stripe_connector: Any) -> None:
    record, _ = _finalized(stripe_connector, [1000])
    found = stripe_connector.find("invoice", "metadata.qbo_invoice_id", "130")
    assert [r.id for r in found] == [record.id]


def test_refusal_is_foreseen_without_a_write(stripe_emulator: RunningEmulator,
                                             stripe_connector: Any) -> None:
    record, payload = _finalized(stripe_connector, [1000, 2000])
    current = stripe_connector.get("invoice", record.id)
    posts = sum(r["method"] == "POST" for r in stripe_emulator.emulator.state.requests)
    changed = {**payload, "lines": payload["lines"][:1], "total": 1000}
    assert "amounts cannot change" in stripe_connector.refuses_update("invoice", current,
                                                                      changed)
    assert stripe_connector.refuses_update("invoice", current,
                                           {**payload, "description": "memo"}) is None
    assert sum(r["method"] == "POST" for r in stripe_emulator.emulator.state.requests) == posts


def test_cleared_description_and_metadata_key_leave_a_finalized_invoice(
        stripe_connector: Any) -> None:
    record, payload = _finalized(stripe_connector, [1000])
    noted = {**payload, "description": "Memo",
             "metadata": {"qbo_invoice_id": "130", "qbo_doc_number": "1042"}}
    stripe_connector.update("invoice", record.id, noted)
    cleared = stripe_connector.update(
        "invoice", record.id, payload,
        clear=[("description",), ("metadata", "qbo_doc_number"), ("paid_out_of_band",)])
    assert cleared.data["description"] is None
    assert cleared.data["metadata"] == {"qbo_invoice_id": "130"}


def test_an_invoice_is_shown_with_its_lines_as_the_mapping_writes_them(
        stripe_connector: Any) -> None:
    record, _ = _finalized(stripe_connector, [1000, 250])
    view = stripe_connector.reconcile_view("invoice", stripe_connector.get("invoice", record.id))
    assert [(line["description"], line["amount"]) for line in view["lines"]] == [
        ("line 0", 1000), ("line 1", 250)]
    assert view["total"] == 1250
    # Steps asked for, not fields read back: nothing there to compare.
    assert view["paid_out_of_band"] is WRITE_ONLY and view["finalize"] is WRITE_ONLY


def test_the_connector_says_which_fields_an_update_can_clear(stripe_connector: Any) -> None:
    assert isinstance(stripe_connector, FieldClearing)
    assert stripe_connector.clears("invoice", ("metadata", "qbo_doc_number"))
    assert stripe_connector.clears("invoice", ("description",))
    assert not stripe_connector.clears("invoice", ("due_date",))
    assert stripe_connector.clears("customer", ("address", "line2"))
    assert stripe_connector.clears("customer", ("phone",))
    assert not stripe_connector.clears("customer", ("metadata", "a", "b"))
