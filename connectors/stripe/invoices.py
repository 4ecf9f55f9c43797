"""Writing invoices: draft, its lines added in one request, the total checked, finalized.

The engine's idempotency key creates the draft; later steps use keys derived from it or
from the draft (`<key>:finalize`, the lines' keys in `invoice_lines`), so a create
interrupted at any step and sent again replays the steps already done and never adds a line
twice. Whatever an interrupted create or update left, the draft's lines are repaired and
checked before the total is, so the check judges the mapping, not an accident.

A backfill creates many invoices, and every request counts against Stripe's rate limit, so
a create reads nothing it can learn otherwise: the draft it just made has no lines to read,
and the add_lines answer shows the lines it made (`invoice_lines` says when that answer is
trusted). A draft deleted since a replayed create made it shows itself by a 404 on the
first request to it; only then is it read, and a successor made.

How the finalized invoice reaches the customer is the payload's `delivery`: `email` sends
it (`POST /v1/invoices/{id}/send`, under a key derived from the invoice, so a retry never
mails twice through this path), `payable` and `none` leave it open and payable without a
mail. Without `delivery` nothing is sent. The record's `answer` carries what Stripe made of
the invoice (number, status, pay link, whether it was sent) for the audit trail.

Once finalized, an invoice's amounts cannot change in Stripe. An update that would change
them raises `ImmutableTargetError`; the pipeline's policy then voids and recreates the
invoice, or flags it. Descriptive fields (description, footer, metadata) still update.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from ml_connector.connectors.stripe.api import Reply, StripeApi
from ml_connector.connectors.stripe.clearing import INVOICE_TEXT, FieldPath, clears_held
from ml_connector.connectors.stripe.customers import MERGED_INTO
from ml_connector.connectors.stripe.invoice_lines import DraftLines, line_view
from ml_connector.connectors.stripe.keys import derived_key
from ml_connector.connectors.stripe.outside_payments import rebalance
from ml_connector.engine.errors import (
    ImmutableTargetError,
    NotFoundError,
    PermanentError,
    RetryableError,
)
from ml_connector.engine.records import Record

CONTROL = ("lines", "total", "finalize", "paid_out_of_band", "delivery", "amount_owed")
DELIVERIES = ("email", "payable", "none")
MAX_LINES = 250
MAX_SUCCESSORS = 5
LINE_PASSES = 3
FIXED_WHEN_FINALIZED = ("customer", "currency", "collection_method", "due_date",
                        "days_until_due")
DRAFT_ONLY = ("collection_method", "due_date", "days_until_due", "default_tax_rates",
              "number", "statement_descriptor", "automatically_finalizes_at")
ALWAYS_EDITABLE = ("description", "footer", "metadata", "auto_advance", "custom_fields")
OPEN = ("open", "uncollectible")


def split(payload: Mapping[str, Any], invoice_id: str | None = None
          ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Invoice parameters and lines; too many lines fail before anything is written."""
    delivery_of(payload)
    params = {k: v for k, v in payload.items() if k not in CONTROL}
    lines = [dict(line) for line in payload.get("lines") or []]
    if len(lines) > MAX_LINES:
        which = (f"Stripe invoice {invoice_id}" if invoice_id else
                 f"the Stripe invoice with metadata {dict(params.get('metadata') or {})}")
        raise PermanentError(f"{which} would have {len(lines)} lines; a Stripe invoice "
                             f"holds at most {MAX_LINES}")
    return params, lines


class Invoices:
    def __init__(self, api: StripeApi):
        self.api = api
        self.request_ids: list[str] = []
        self.lines = DraftLines(api, self._keep)

    def _keep(self, reply: Reply) -> dict[str, Any]:
        self.request_ids.extend(reply.request_ids)
        return reply.body

    def _get(self, invoice_id: str) -> dict[str, Any]:
        return self._keep(self.api.get(f"/v1/invoices/{invoice_id}"))

    def _delete(self, path: str) -> None:
        """Delete, where "already gone" is success: a DELETE applied but unanswered is sent
        again and meets a 404. Read as a failure, it would say the invoice is gone."""
        with contextlib.suppress(NotFoundError):
            self._keep(self.api.delete(path))

    def _done(self, invoice: dict[str, Any], sent: bool = False) -> Record:
        return Record("invoice", invoice["id"], invoice, request_ids=tuple(self.request_ids),
                      answer=answer_of(invoice, sent=sent))

    def _deliver(self, invoice: dict[str, Any], payload: Mapping[str, Any],
                 key: str) -> tuple[dict[str, Any], bool]:
        """Send an open `send_invoice` invoice when the payload asks for `email`.

        Stripe sends only open invoices that collect by e-mail; one already paid (out of
        band, or in full at finalizing) is not mailed, as there is nothing to ask for.
        """
        if (delivery_of(payload) != "email" or invoice["status"] != "open"
                or invoice.get("collection_method") != "send_invoice"):
            return invoice, False
        sent = self._keep(self.api.post(f"/v1/invoices/{invoice['id']}/send", {},
                                        idempotency_key=key))
        return sent, True

    # -- create ------------------------------------------------------------------------------

    def create(self, payload: Mapping[str, Any], key: str) -> Record:
        """Draft, lines, check, finalize; a successor draft if a replayed one is gone.

        A replayed create answers with the draft as it was first made, even if that draft
        was deleted since (its total did not match, say): then a successor is made under a
        key derived from the gone draft, the same key on every retry.
        """
        params, lines = split(payload)
        params.setdefault("auto_advance", False)
        params.setdefault("pending_invoice_items_behavior", "exclude")
        for _ in range(MAX_SUCCESSORS):
            draft = self._keep(self.api.post("/v1/invoices", params, idempotency_key=key))
            try:
                invoice = self._complete(draft, lines, payload, key)
            except NotFoundError:
                if self.api.get_or_none(f"/v1/invoices/{draft['id']}") is not None:
                    raise  # something else is missing (a tax rate, say), not the draft
                key = derived_key(key, draft["id"])
                continue
            settled = self._settle(invoice, payload, f"{key}:pay")
            return self._done(*self._deliver(settled, payload, f"{key}:send"))
        raise RetryableError(f"Stripe drafts made for this invoice keep disappearing "
                             f"(last key {key}); the record will be tried again")

    def _complete(self, draft: dict[str, Any], lines: list[dict[str, Any]],
                  payload: Mapping[str, Any], key: str) -> dict[str, Any]:
        """Lines, check and finalize for the draft `key` made, as its create answered.

        `draft` is the create's answer: the draft with no lines, as it was first made even
        when the create was replayed. Adding the lines from there asks under the key an
        earlier attempt used at the same point, so its lines are replayed, not doubled; a
        draft that has moved on since shows in the answer and is read (`invoice_lines`).
        """
        if draft["status"] != "draft":
            return draft
        try:
            answer = self.lines.repair(draft, lines)
        except ImmutableTargetError:
            current = self._get(draft["id"])  # finalized by an earlier attempt since
            if current["status"] == "draft":
                raise
            return current
        if answer is None and not lines:
            answer = draft
        return self._checked(draft["id"], lines, payload, f"{key}:finalize", answer,
                             trust_answers=True)

    def _checked(self, invoice_id: str, lines: list[dict[str, Any]],
                 payload: Mapping[str, Any], key: str, answer: dict[str, Any] | None = None,
                 *, trust_answers: bool = False) -> dict[str, Any]:
        """Check the draft's lines until they are the wanted ones, then `_ready` it.

        An answer of the last write stands in for a read when it shows the wanted lines.
        Only a create trusts them: a draft's lines can be edited from one list to another
        and back, and then a repair asks again under a key whose lines were deleted since,
        and the replayed answer shows them as if they were there.
        """
        for _ in range(LINE_PASSES):
            if answer is not None and self.lines.matches(answer, lines):
                invoice = answer
            else:
                invoice = self._get(invoice_id)
            if self.lines.matches(invoice, lines):
                return self._ready(invoice, payload, key)
            repaired = self.lines.repair(invoice, lines)
            answer = repaired if trust_answers else None
        raise RetryableError(f"the lines of Stripe draft {invoice_id} kept changing while "
                             "they were written; the record will be tried again")

    def _ready(self, invoice: dict[str, Any], payload: Mapping[str, Any],
               key: str) -> dict[str, Any]:
        """Check the total against the source; finalize the draft unless told not to.

        The lines are the wanted ones here, so a total that differs is the mapping's fault:
        the draft is deleted and the record fails for good.
        """
        invoice_id = invoice["id"]
        expected = payload.get("total")
        if expected is not None and invoice["total"] != int(expected):
            self._delete(f"/v1/invoices/{invoice_id}")
            raise PermanentError(
                f"the Stripe draft {invoice_id} totals {invoice['total']} but the source "
                f"totals {int(expected)} ({invoice['currency']} minor units); the draft was "
                "deleted, fix the line mapping")
        if payload.get("finalize", True) is False:
            return invoice
        return self._keep(self.api.post(f"/v1/invoices/{invoice_id}/finalize", {},
                                        idempotency_key=key))

    def _settle(self, invoice: dict[str, Any], payload: Mapping[str, Any],
                key: str) -> dict[str, Any]:
        """Mark the invoice paid out of band when the source says it was paid elsewhere;
        paid elsewhere in part, lower what it asks for to `amount_owed` (`outside_payments`)."""
        if payload.get("paid_out_of_band") and invoice["status"] in OPEN:
            return self._keep(self.api.post(f"/v1/invoices/{invoice['id']}/pay",
                                            {"paid_out_of_band": True}, idempotency_key=key))
        owed = payload.get("amount_owed", payload.get("total"))  # nothing paid: all owed
        if owed is not None:
            return rebalance(self.api, invoice, int(owed), self._keep)
        return invoice

    # -- update ------------------------------------------------------------------------------

    def update(self, invoice_id: str, payload: Mapping[str, Any],
               clear: Sequence[FieldPath] = ()) -> Record:
        """Bring the invoice to `payload`; what Stripe refuses raises ImmutableTargetError.

        A field of `clear` the invoice still holds is unset (`description=`,
        `metadata[key]=`), along with the payload's other changes.
        """
        params, lines = split(payload, invoice_id)
        invoice = self._get(invoice_id)
        refused = self._refusal(invoice, params, lines, payload)
        if refused is not None:
            raise ImmutableTargetError(refused)
        wipe = clears_held(invoice, clear, text=INVOICE_TEXT)
        digest = derived_key(invoice_id, repr(sorted(params.items(), key=str)), repr(lines))
        was_draft = invoice["status"] == "draft"
        if was_draft:
            invoice = self._update_draft(invoice, params, lines, payload, digest, wipe)
        else:
            changes = _merged(_changed(invoice, params, ALWAYS_EDITABLE), wipe)
            if changes:
                invoice = self._keep(self.api.post(f"/v1/invoices/{invoice_id}", changes))
        invoice = self._settle(invoice, payload, derived_key(invoice_id, "oob"))
        if not was_draft:   # sent, if at all, when it was finalized
            return self._done(invoice)
        return self._done(*self._deliver(invoice, payload, derived_key(invoice_id, "send")))

    def refusal(self, invoice: dict[str, Any], payload: Mapping[str, Any]) -> str | None:
        """Why `update` would refuse `payload` for `invoice` (as read now), or None."""
        params, lines = split(payload, invoice["id"])
        return self._refusal(invoice, params, lines, payload)

    def _update_draft(self, invoice: dict[str, Any], params: dict[str, Any],
                      lines: list[dict[str, Any]], payload: Mapping[str, Any],
                      digest: str, wipe: Mapping[str, Any]) -> dict[str, Any]:
        changes = _merged(_changed(invoice, params, DRAFT_ONLY + ALWAYS_EDITABLE), wipe)
        if changes:
            self._keep(self.api.post(f"/v1/invoices/{invoice['id']}", changes))
        if not self.lines.matches(invoice, lines):
            self.lines.repair(invoice, lines)
        return self._checked(invoice["id"], lines, payload, f"{digest}:finalize")

    def _stays_after_merge(self, invoice: dict[str, Any]) -> bool:
        """A paid invoice of a customer merged into another stays where it was paid.

        QuickBooks moves a merged customer's invoices to the survivor; an open one is made
        again for the survivor's Stripe customer, but a paid one cannot be voided, and its
        customer is kept (marked merged), so it is left on it rather than refused.
        """
        if invoice["status"] != "paid" or not isinstance(invoice.get("customer"), str):
            return False
        reply = self.api.get_or_none(f"/v1/customers/{invoice['customer']}")
        return reply is not None and bool((reply.body.get("metadata") or {}).get(MERGED_INTO))

    def _refusal(self, invoice: dict[str, Any], params: dict[str, Any],
                 lines: list[dict[str, Any]], payload: Mapping[str, Any]) -> str | None:
        """A draft cannot change customer or currency; a finalized invoice, its amounts."""
        if invoice["status"] == "draft":
            fixed = [k for k in ("customer", "currency") if k in params
                     and params[k] != invoice[k]]
            if fixed:
                return f"the {', '.join(fixed)} of Stripe invoice {invoice['id']} cannot change"
            return None
        reasons = [f"{k} {invoice.get(k)} -> {params[k]}" for k in FIXED_WHEN_FINALIZED
                   if k in params and k in invoice and params[k] != invoice[k]
                   and not (k == "customer" and self._stays_after_merge(invoice))]
        if "lines" in payload and line_view(self.lines.of(invoice)) != line_view(lines):
            reasons.append("its lines")
        expected = payload.get("total")
        if expected is not None and int(expected) != invoice["total"]:
            reasons.append(f"total {invoice['total']} -> {int(expected)}")
        if not reasons:
            return None
        return (f"Stripe invoice {invoice['id']} is {invoice['status']}; a finalized "
                f"invoice's amounts cannot change ({'; '.join(reasons)})")

    # -- remove ------------------------------------------------------------------------------

    def remove(self, invoice_id: str, mode: str) -> Record | None:
        reply = self.api.get_or_none(f"/v1/invoices/{invoice_id}")
        if reply is None:
            return None
        invoice = self._keep(reply)
        if invoice["status"] == "draft":
            self._delete(f"/v1/invoices/{invoice_id}")
            return Record("invoice", invoice_id, invoice, deleted=True,
                          request_ids=tuple(self.request_ids))
        if mode == "delete":
            raise PermanentError(f"Stripe invoice {invoice_id} is {invoice['status']}; only "
                                 "drafts can be deleted (use on_source_delete: void)")
        if invoice["status"] in OPEN:
            invoice = self._keep(self.api.post(f"/v1/invoices/{invoice_id}/void", {},
                                               idempotency_key=derived_key(invoice_id, "void")))
        elif invoice["status"] == "paid":
            raise PermanentError(f"Stripe invoice {invoice_id} is paid and cannot be voided; "
                                 "refund the payment or issue a credit note")
        return self._done(invoice)


def delivery_of(payload: Mapping[str, Any]) -> str | None:
    """The payload's `delivery`, checked: a typo must not silently skip the e-mail."""
    delivery = payload.get("delivery")
    if delivery is None or delivery in DELIVERIES:
        return delivery
    raise PermanentError(f"delivery {delivery!r} is not one of {', '.join(DELIVERIES)}")


def answer_of(invoice: Mapping[str, Any], *, sent: bool = False) -> dict[str, Any]:
    """What a person asks of an invoice just written: its number, status and pay link."""
    answer = {"number": invoice.get("number"), "status": invoice.get("status"),
              "hosted_invoice_url": invoice.get("hosted_invoice_url")}
    if sent:
        answer["sent"] = True
    return {k: v for k, v in answer.items() if v is not None}


def _merged(changes: dict[str, Any], wipe: Mapping[str, Any]) -> dict[str, Any]:
    """The changes plus the empty values that unset what the mapping no longer writes."""
    for key, value in wipe.items():
        if isinstance(value, Mapping) and isinstance(changes.get(key), Mapping):
            changes[key] = {**changes[key], **value}
        else:
            changes[key] = value
    return changes


def _changed(invoice: Mapping[str, Any], params: Mapping[str, Any],
             allowed: tuple[str, ...]) -> dict[str, Any]:
    changes = {k: params[k] for k in allowed if k in params and params[k] != invoice.get(k)
               and not (params[k] == [] and not invoice.get(k))}   # no custom fields: none
    if "metadata" in changes:
        current = invoice.get("metadata") or {}
        wanted = {k: str(v) for k, v in (params["metadata"] or {}).items()}
        if wanted.items() <= current.items():
            del changes["metadata"]
    return changes
