"""Part of an open invoice paid outside Stripe, shown the one way Stripe's API allows.

Stripe can mark an open invoice paid out of band only as a whole (`POST /v1/invoices/{id}/pay`
with `paid_out_of_band=true` settles everything that remains), and an out-of-band payment
record cannot be created through this API version. So when QuickBooks shows part of an
invoice paid elsewhere (a cheque for half), the connector lowers what the Stripe invoice
asks for with one credit note, the invoice's *outside-payment note*: its metadata key
`MARK` holds the amount QuickBooks said was owed when it was sized (minor units).

`rebalance` sizes that note so the invoice's `amount_remaining` equals what is owed:

    wanted = amount_remaining + the live note's amount - owed      (never below zero)

A note's amount cannot change, so a different size voids the note and issues another.
Credit notes for credit memos change `amount_remaining` too; their writer rebalances
afterwards with the owed amount the note recorded, so a credit memo and a cheque never
lower the invoice twice. While a Stripe payment is not yet booked in QuickBooks, the two
disagree for a moment; the booking changes the QuickBooks balance, and the next rebalance
puts it right.

Two writers sizing notes on one invoice at once (the invoice pipeline and the credit memo
pipeline run alongside) would each count on the amount the other had not yet changed and
lower the invoice twice, so everything that reads an invoice's amounts to issue or void a
note on it holds `invoice_lock` for that invoice, and reads the invoice again under it.
The lock is per process: two processes syncing the same company are not serialised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ml_connector.connectors.stripe.api import Reply, StripeApi
from ml_connector.connectors.stripe.keys import derived_key

MARK = "qbo_paid_outside_stripe"
RELEASED = "released_for"   # on a note voided to make room: the key of the note it made room for
MEMO = "Paid outside Stripe (recorded in QuickBooks)"
OPEN = ("open", "uncollectible")
Keep = Callable[[Reply], dict[str, Any]]

_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()


@contextmanager
def invoice_lock(invoice_id: str) -> Iterator[None]:
    """Hold the process-wide lock of one Stripe invoice's credit notes (re-entrant)."""
    with _locks_guard:
        lock = _locks.setdefault(invoice_id, threading.RLock())
    with lock:
        yield


def notes_of(api: StripeApi, invoice_id: str, keep: Keep) -> list[dict[str, Any]]:
    """Every outside-payment note of the invoice, live or void, newest first."""
    found = []
    for page in api.list_all("/v1/credit_notes", {"invoice": invoice_id}):
        keep(page)
        found += [n for n in page.body["data"] if MARK in (n.get("metadata") or {})]
    return found


def make_room(api: StripeApi, invoice: dict[str, Any], amount: int, key: str,
              keep: Keep) -> tuple[dict[str, Any], int | None]:
    """Before another credit note of `amount` (idempotency key `key`) on the invoice: the
    invoice with room for it, and the owed amount to `rebalance` to afterwards (None when
    the invoice has no outside-payment note to keep in step).

    The outside-payment note may hold the room a credit memo's note needs (it was sized
    while QuickBooks already counted the credit); then it is voided first, marked with the
    key it made room for, so a retry after the void still knows the owed amount.
    """
    if invoice["status"] not in OPEN:
        return invoice, None
    notes = notes_of(api, invoice["id"], keep)
    mark = derived_key(key)
    released = [n for n in notes if n["status"] == "void"
                and n["metadata"].get(RELEASED) == mark]
    if released:
        return invoice, int(released[0]["metadata"][MARK])
    live = [n for n in notes if n["status"] == "issued"]
    if not live:
        return invoice, None
    owed = int(live[0]["metadata"][MARK])
    if amount <= invoice["amount_remaining"]:
        return invoice, owed
    for note in live:
        keep(api.post(f"/v1/credit_notes/{note['id']}", {"metadata": {RELEASED: mark}}))
        keep(api.post(f"/v1/credit_notes/{note['id']}/void", {},
                      idempotency_key=derived_key(note["id"], "void")))
    return keep(api.get(f"/v1/invoices/{invoice['id']}")), owed


def rebalance(api: StripeApi, invoice: dict[str, Any], owed: int | None,
              keep: Keep) -> dict[str, Any]:
    """The invoice after its outside-payment note is sized so it asks for `owed`.

    `owed` None takes the amount the live note recorded (nothing to do without one). An
    invoice that is not open is left alone: its amounts are settled.
    """
    if _settled(invoice, owed):
        return invoice
    with invoice_lock(invoice["id"]):
        # Read again under the lock: another writer may have credited it since.
        invoice = keep(api.get(f"/v1/invoices/{invoice['id']}"))
        if _settled(invoice, owed):
            return invoice
        return _resize(api, invoice, owed, keep)


def _settled(invoice: dict[str, Any], owed: int | None) -> bool:
    return invoice["status"] not in OPEN or (owed is not None
                                             and invoice["amount_remaining"] == owed)


def _resize(api: StripeApi, invoice: dict[str, Any], owed: int | None,
            keep: Keep) -> dict[str, Any]:
    notes = notes_of(api, invoice["id"], keep)
    live = [n for n in notes if n["status"] == "issued"]
    if owed is None:
        if not live:
            return invoice
        owed = int(live[0]["metadata"][MARK])
    current = sum(n["amount"] for n in live)
    wanted = max(0, invoice["amount_remaining"] + current - owed)
    if wanted == current and all(n["metadata"][MARK] == str(owed) for n in live):
        return invoice
    if wanted == current and len(live) == 1:  # the right size, sized for another balance
        keep(api.post(f"/v1/credit_notes/{live[0]['id']}", {"metadata": {MARK: str(owed)}}))
        return invoice
    for note in live:
        keep(api.post(f"/v1/credit_notes/{note['id']}/void", {},
                      idempotency_key=derived_key(note["id"], "void")))
    if wanted > 0:
        voided = len(notes)  # every note of the invoice is void now: the key's generation
        keep(api.post("/v1/credit_notes", {
            "invoice": invoice["id"], "amount": wanted, "memo": MEMO,
            "metadata": {MARK: str(owed), **_kept_metadata(invoice)}},
            idempotency_key=derived_key(invoice["id"], "outside", str(owed), str(wanted),
                                        str(voided))))
    return keep(api.get(f"/v1/invoices/{invoice['id']}"))


def _kept_metadata(invoice: dict[str, Any]) -> dict[str, str]:
    source = (invoice.get("metadata") or {}).get("qbo_invoice_id")
    return {"qbo_invoice_id": source} if source else {}
