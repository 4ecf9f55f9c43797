"""Credit notes lower what an open invoice asks for, to the minor unit, and give it back when
voided; on a paid invoice they must be allocated out of band; their events are sent."""

from __future__ import annotations

from typing import Any

import httpx
from stripe_flows import RunningEmulator, ok, open_invoice


def _note(http: httpx.Client, invoice: dict[str, Any], **data: str) -> httpx.Response:
    return http.post("/v1/credit_notes", data={"invoice": invoice["id"], **data})


def _events(http: httpx.Client, kind: str) -> list[dict[str, Any]]:
    return ok(http.get("/v1/events", params={"type": kind}))["data"]


def test_a_credit_note_lowers_the_amount_due_and_a_void_restores_it(
        stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv = open_invoice(http, 12345)
    note = ok(_note(http, inv, amount="2345", memo="Damaged box",
                    **{"metadata[qbo_credit_memo_id]": "77"}))
    assert (note["type"], note["status"], note["amount"]) == ("pre_payment", "issued", 2345)
    assert note["metadata"] == {"qbo_credit_memo_id": "77"}
    after = ok(http.get(f"/v1/invoices/{inv['id']}"))
    assert (after["amount_due"], after["amount_remaining"], after["total"]) == (
        10000, 10000, 12345)
    assert after["pre_payment_credit_notes_amount"] == 2345
    assert after["status"] == "open"
    voided = ok(http.post(f"/v1/credit_notes/{note['id']}/void"))
    assert voided["status"] == "void" and voided["voided_at"]
    restored = ok(http.get(f"/v1/invoices/{inv['id']}"))
    assert (restored["amount_due"], restored["amount_remaining"]) == (12345, 12345)
    assert [e["data"]["object"]["id"] for e in _events(http, "credit_note.created")] == [
        note["id"]]
    assert [e["data"]["object"]["id"] for e in _events(http, "credit_note.voided")] == [
        note["id"]]
    again = http.post(f"/v1/credit_notes/{note['id']}/void")
    assert again.status_code == 400


def test_lines_give_the_amount_and_a_note_covering_all_pays_the_invoice(
        stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv = open_invoice(http, 5000)
    note = ok(_note(http, inv, **{"lines[0][type]": "custom_line_item",
                                  "lines[0][unit_amount]": "2500",
                                  "lines[0][quantity]": "2",
                                  "lines[0][description]": "Credit"}))
    assert note["amount"] == 5000 and note["lines"]["data"][0]["amount"] == 5000
    paid = ok(http.get(f"/v1/invoices/{inv['id']}"))
    assert (paid["status"], paid["amount_remaining"], paid["amount_paid"]) == ("paid", 0, 0)
    refused = http.post(f"/v1/credit_notes/{note['id']}/void")
    assert refused.status_code == 400 and "no longer be voided" in refused.text


def test_a_note_cannot_exceed_what_remains_or_credit_a_draft(
        stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv = open_invoice(http, 1000)
    too_much = _note(http, inv, amount="1001")
    assert too_much.status_code == 400 and too_much.json()["error"]["param"] == "amount"
    oob_on_open = _note(http, inv, amount="100", out_of_band_amount="100")
    assert oob_on_open.status_code == 400
    draft = ok(http.post("/v1/invoices", data={"customer": inv["customer"]}))
    assert _note(http, draft, amount="100").status_code == 400
    assert ok(http.get(f"/v1/invoices/{inv['id']}"))["amount_due"] == 1000


def test_on_a_paid_invoice_the_whole_amount_is_out_of_band(
        stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv = open_invoice(http, 4000)
    ok(http.post(f"/v1/invoices/{inv['id']}/pay", data={"paid_out_of_band": "true"}))
    assert _note(http, inv, amount="1500").status_code == 400
    note = ok(_note(http, inv, amount="1500", out_of_band_amount="1500"))
    assert (note["type"], note["out_of_band_amount"]) == ("post_payment", 1500)
    after = ok(http.get(f"/v1/invoices/{inv['id']}"))
    assert after["post_payment_credit_notes_amount"] == 1500 and after["amount_remaining"] == 0
    ok(http.post(f"/v1/credit_notes/{note['id']}/void"))
    assert ok(http.get(f"/v1/invoices/{inv['id']}"))["post_payment_credit_notes_amount"] == 0


def test_list_retrieve_update_and_preview(stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv, other = open_invoice(http, 3000), open_invoice(http, 3000)
    preview = ok(http.get("/v1/credit_notes/preview",
                          params={"invoice": inv["id"], "amount": "700"}))
    assert preview["amount"] == 700
    assert ok(http.get(f"/v1/invoices/{inv['id']}"))["amount_due"] == 3000
    note = ok(_note(http, inv, amount="700"))
    ok(_note(http, other, amount="100"))
    listed = ok(http.get("/v1/credit_notes", params={"invoice": inv["id"]}))["data"]
    assert [n["id"] for n in listed] == [note["id"]]
    updated = ok(http.post(f"/v1/credit_notes/{note['id']}",
                           data={"memo": "Goodwill", "metadata[k]": "v"}))
    assert (updated["memo"], updated["metadata"]) == ("Goodwill", {"k": "v"})
    assert ok(http.get(f"/v1/credit_notes/{note['id']}"))["memo"] == "Goodwill"
    refused = http.post(f"/v1/credit_notes/{note['id']}", data={"amount": "1"})
    assert refused.status_code == 400
    lines = ok(http.get(f"/v1/credit_notes/{note['id']}/lines"))
    assert [line["amount"] for line in lines["data"]] == [700]
