"""Sending an invoice, its hosted page, and the number and custom fields a draft takes."""

from __future__ import annotations

import httpx
from stripe_flows import RunningEmulator, add_item, draft, finalize, ok


def test_send_mails_an_open_invoice_and_leaves_it_open(stripe_emulator: RunningEmulator
                                                       ) -> None:
    http = stripe_emulator.http
    inv = draft(http)
    add_item(http, inv, amount="2500")
    refused = http.post(f"/v1/invoices/{inv['id']}/send")
    assert refused.status_code == 400   # a draft cannot be sent
    assert stripe_emulator.helper_get(f"invoices/{inv['id']}/sent")["sent_at"] == []
    finalize(http, inv)
    sent = ok(http.post(f"/v1/invoices/{inv['id']}/send"))
    assert sent["status"] == "open"
    assert len(stripe_emulator.helper_get(f"invoices/{inv['id']}/sent")["sent_at"]) == 1
    types = [e["type"] for e in stripe_emulator.emulator.state.events
             if e["data"]["object"].get("id") == inv["id"]]
    assert types.count("invoice.sent") == 1


def test_the_hosted_page_shows_the_invoice_and_paying_there_pays_it(
        stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv = draft(http)
    add_item(http, inv, amount="4200")
    assert inv["hosted_invoice_url"] is None   # no page before it is finalized
    url = finalize(http, inv)["hosted_invoice_url"]
    assert url.startswith(stripe_emulator.url)
    page = httpx.get(url).json()
    assert (page["id"], page["status"], page["amount_remaining"]) == (inv["id"], "open", 4200)
    assert httpx.post(url, json={}).status_code == 200
    paid = ok(http.get(f"/v1/invoices/{inv['id']}"))
    assert paid["status"] == "paid" and paid["amount_paid"] == 4200
    assert httpx.post(url, json={}).status_code == 400   # nothing is left to pay
    missing = httpx.get(url.rsplit("/", 1)[0] + "/nosuchpage")
    assert missing.status_code == 404


def test_a_draft_takes_its_number_and_custom_fields_and_keeps_them(
        stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv = draft(http, number="QB-1042", **{"custom_fields[0][name]": "Invoice",
                                           "custom_fields[0][value]": "QB-1042"})
    add_item(http, inv, amount="100")
    done = finalize(http, inv)
    assert done["number"] == "QB-1042"
    assert done["custom_fields"] == [{"name": "Invoice", "value": "QB-1042"}]
    refused = http.post(f"/v1/invoices/{inv['id']}", data={"number": "QB-9"})
    assert refused.status_code == 400   # the number of a finalized invoice is fixed
