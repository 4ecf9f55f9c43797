"""Writing credit notes: what the customer owes on a Stripe invoice, lowered.

A pipeline's payload is the parameters of `POST /v1/credit_notes` (`invoice`, `amount` or
`lines`, `memo`, `reason`, `metadata`). The invoice is read first, because Stripe treats a
note by the invoice's state when it is issued:

- open (or uncollectible): the note lowers `amount_due`; Stripe marks the invoice paid when
  nothing is left to pay;
- paid: the amount due stays, and the note's whole amount must be allocated; the connector
  books it as `out_of_band_amount` (credited outside Stripe, where the source gave it);
- draft or void: nothing to credit, and the record fails naming the invoice.

On an open invoice that also carries a note for money paid outside Stripe
(`outside_payments`), that note gives up the room this one needs first and is resized
after, so the two never lower the invoice twice.

A note's amount and invoice never change: an update that would change them raises
`ImmutableTargetError`, so the pipeline's `void_and_recreate` voids the note and issues a
new one. `memo` and `metadata` update in place. Removing voids the note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ml_connector.connectors.stripe.api import Reply, StripeApi
from ml_connector.connectors.stripe.clearing import FieldPath
from ml_connector.connectors.stripe.keys import derived_key
from ml_connector.connectors.stripe.outside_payments import (
    MARK,
    invoice_lock,
    make_room,
    rebalance,
)
from ml_connector.engine.errors import ImmutableTargetError, PermanentError
from ml_connector.engine.records import Record

PATH = "/v1/credit_notes"
PRE_PAYMENT = ("open", "uncollectible")


def amount_of(payload: Mapping[str, Any]) -> int:
    """The note's amount: `amount`, or the sum of its lines."""
    if payload.get("amount") is not None:
        return int(payload["amount"])
    total = 0
    for line in payload.get("lines") or []:
        if line.get("type") == "custom_line_item":
            total += int(line.get("unit_amount") or 0) * int(line.get("quantity") or 1)
        else:
            total += int(line.get("amount") or 0)
    return total


class CreditNotes:
    def __init__(self, api: StripeApi):
        self.api = api
        self.request_ids: list[str] = []

    def _keep(self, reply: Reply) -> dict[str, Any]:
        self.request_ids.extend(reply.request_ids)
        return reply.body

    def _done(self, note: dict[str, Any], *, deleted: bool = False) -> Record:
        return Record("credit_note", note["id"], note, deleted=deleted,
                      request_ids=tuple(self.request_ids))

    def create(self, payload: Mapping[str, Any], key: str) -> Record:
        params = dict(payload)
        amount = amount_of(params)
        invoice_id = params.get("invoice")
        if not invoice_id:
            raise PermanentError("a Stripe credit note needs the invoice it credits; the "
                                 "payload has no `invoice`")
        if amount <= 0:
            raise PermanentError(f"the credit note for Stripe invoice {invoice_id} would be "
                                 f"for {amount}; a credit note must be for more than zero")
        with invoice_lock(str(invoice_id)):  # see outside_payments
            invoice = self._keep(self.api.get(f"/v1/invoices/{invoice_id}"))
            status = invoice["status"]
            owed = None
            if status in PRE_PAYMENT:
                # More than the invoice still asks for is Stripe's to refuse: a retry of a note
                # already issued is answered with that note, whatever remains now.
                owed = make_room(self.api, invoice, amount, key, self._keep)[1]
            elif status == "paid":
                params.setdefault("out_of_band_amount", amount)
                key = f"{key}:post"  # other parameters than a note on the open invoice
            else:
                raise PermanentError(f"Stripe invoice {invoice_id} is {status}; only a "
                                     "finalized invoice that is not void can be credited")
            note = self._keep(self.api.post(PATH, params, idempotency_key=key))
            if owed is not None:  # keep the note for money paid elsewhere in step
                rebalance(self.api, self._keep(self.api.get(f"/v1/invoices/{invoice_id}")), owed,
                          self._keep)
        return self._done(note)

    def refusal(self, note: Mapping[str, Any], payload: Mapping[str, Any]) -> str | None:
        """Why the note cannot become `payload` in place (its amount, invoice, or void)."""
        reasons = []
        if note.get("status") == "void":
            reasons.append("it is void")
        if payload.get("invoice") and payload["invoice"] != note.get("invoice"):
            reasons.append(f"invoice {note.get('invoice')} -> {payload['invoice']}")
        if amount_of(payload) != note.get("amount"):
            reasons.append(f"amount {note.get('amount')} -> {amount_of(payload)}")
        if not reasons:
            return None
        return (f"Stripe credit note {note['id']} cannot change ({'; '.join(reasons)}); "
                "a credit note is voided and issued again instead")

    def update(self, note_id: str, payload: Mapping[str, Any],
               clear: Sequence[FieldPath] = ()) -> Record:
        note = self._keep(self.api.get(f"{PATH}/{note_id}"))
        refused = self.refusal(note, payload)
        if refused is not None:
            raise ImmutableTargetError(refused)
        changes: dict[str, Any] = {}
        if "memo" in payload and payload["memo"] != note.get("memo"):
            changes["memo"] = payload["memo"]
        elif ("memo",) in clear and note.get("memo"):
            changes["memo"] = ""
        wanted = {k: str(v) for k, v in (payload.get("metadata") or {}).items()}
        current = note.get("metadata") or {}
        gone = {path[1]: "" for path in clear
                if len(path) == 2 and path[0] == "metadata" and path[1] in current}
        if not wanted.items() <= current.items() or gone:
            changes["metadata"] = {**gone, **wanted}
        if changes:
            note = self._keep(self.api.post(f"{PATH}/{note_id}", changes))
        return self._done(note)

    def remove(self, note_id: str, mode: str) -> Record | None:
        if mode != "void":
            raise PermanentError(f"Stripe credit notes can only be voided, not {mode!r}")
        reply = self.api.get_or_none(f"{PATH}/{note_id}")
        if reply is None:
            return None
        note = self._keep(reply)
        if note["status"] != "void":
            note = self._keep(self.api.post(f"{PATH}/{note_id}/void", {},
                                            idempotency_key=derived_key(note_id, "void")))
            if MARK not in (note.get("metadata") or {}):
                with invoice_lock(str(note["invoice"])):
                    invoice = self._keep(self.api.get(f"/v1/invoices/{note['invoice']}"))
                    rebalance(self.api, invoice, None, self._keep)
        return self._done(note)
