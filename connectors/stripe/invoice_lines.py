"""Making a Stripe draft's lines exactly the wanted ones, whatever an earlier attempt left.

A create or an update can be cut off between two of its requests: the process dies, or an
answer is lost. The next attempt must not trust its own plan; it reads the draft and
repairs it. It keeps the lines that already match the start of the wanted list, deletes the
others, adds what is missing, and checks the result (a request of a dead attempt that the
server applied late may have moved something meanwhile).

The missing lines go out together in one `POST /v1/invoices/{id}/add_lines`: Stripe appends
them in order, all or none, and answers with the invoice, so a pass costs one request
however many lines it adds. Lines that request cannot carry (a unit price, say: add_lines
takes `unit_amount_decimal` only inside `price_data`, which needs a product) are added one
`POST /v1/invoiceitems` each, as before.

Idempotency keys are derived from the draft, the wanted lines, the position of the first
line added and the ids of the items kept before it (per added item, for one-by-one adds).
Two attempts that reach the same point ask under the same key, so a request of a dead
attempt that the server applies late and the new attempt's request add the lines once
between them, not twice. A key is asked again after its lines were deleted only when an
item from elsewhere landed between the kept ones and the added ones; the replayed answer
then shows ids a pass already saw, so it is not taken for the draft (`DraftLines._fresh`),
and the draft is read: the record is tried again later rather than finalized short.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ml_connector.connectors.stripe.api import Reply, StripeApi
from ml_connector.engine.errors import NotFoundError

LineView = list[tuple[int, str | None]]


def line_amount(line: dict[str, Any]) -> int:
    """What Stripe will charge for a line: `amount`, or unit price times quantity."""
    if line.get("amount") is not None:
        return int(line["amount"])
    unit = Decimal(str(line.get("unit_amount_decimal", 0)))
    quantity = Decimal(str(line.get("quantity", 1)))
    return int((unit * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_view(lines: list[dict[str, Any]]) -> LineView:
    """What a person sees of the lines: amount and description, in order."""
    return [(line_amount(line), line.get("description")) for line in lines]


def _item_id(line: dict[str, Any]) -> str | None:
    details = (line.get("parent") or {}).get("invoice_item_details") or {}
    return details.get("invoice_item")


# What a line of `add_lines` takes that the connector's line payload also has.
ADD_LINES_FIELDS = frozenset({"amount", "description", "discountable", "metadata", "period",
                              "tax_rates"})


def _addable(lines: list[dict[str, Any]]) -> bool:
    return all("amount" in line and set(line) <= ADD_LINES_FIELDS for line in lines)


class DraftLines:
    """Reads and writes the lines of drafts through one `StripeApi`.

    `seen` holds every item id a pass found on the draft, so an answer that shows one of
    them as newly added is recognisably an earlier attempt's, replayed.
    """

    def __init__(self, api: StripeApi, keep: Callable[[Reply], dict[str, Any]]):
        self.api, self._keep = api, keep
        self.seen: set[str] = set()

    def of(self, invoice: dict[str, Any]) -> list[dict[str, Any]]:
        """The invoice's lines, all pages of them."""
        embedded = invoice.get("lines") or {}
        if not embedded.get("has_more"):
            return list(embedded.get("data") or [])
        return [line for page in self.api.list_all(f"/v1/invoices/{invoice['id']}/lines")
                for line in page.body["data"]]

    def matches(self, invoice: dict[str, Any], wanted: list[dict[str, Any]]) -> bool:
        return line_view(self.of(invoice)) == line_view(wanted)

    def repair(self, invoice: dict[str, Any],
               wanted: list[dict[str, Any]]) -> dict[str, Any] | None:
        """One pass towards `wanted` from the lines `invoice` shows.

        Returns the draft as `add_lines` answered, when that answer shows the kept items
        followed by items no pass saw before (then it is this request's doing, and current);
        None when the caller must read the draft to check.
        """
        current = self.of(invoice)
        have, want = line_view(current), line_view(wanted)
        keep = 0
        while keep < min(len(have), len(want)) and have[keep] == want[keep]:
            keep += 1
        self.seen.update(str(_item_id(line)) for line in current)
        for line in current[keep:]:
            item_id = _item_id(line)
            if item_id:
                with contextlib.suppress(NotFoundError):  # gone already: that is the aim
                    self._keep(self.api.delete(f"/v1/invoiceitems/{item_id}"))
        before = [str(_item_id(line)) for line in current[:keep]]
        plan = _digest(invoice["id"], repr(want))
        missing = wanted[keep:]
        if not missing:
            return None
        if _addable(missing):
            key = "mlc:" + _digest(plan, "add_lines", str(keep), *before)
            answer = self._keep(self.api.post(f"/v1/invoices/{invoice['id']}/add_lines",
                                              {"lines": missing}, idempotency_key=key))
            return answer if self._fresh(answer, before, len(missing)) else None
        for index, line in enumerate(missing, start=keep):
            item = {**line, "invoice": invoice["id"], "customer": invoice["customer"]}
            key = "mlc:" + _digest(plan, str(index), *before)
            added = self._keep(self.api.post("/v1/invoiceitems", item, idempotency_key=key))
            before.append(str(added["id"]))
        return None

    def _fresh(self, answer: dict[str, Any], before: list[str], added: int) -> bool:
        """Whether an add_lines answer shows the draft as this request left it."""
        embedded = answer.get("lines") or {}
        if answer.get("status") != "draft" or embedded.get("has_more"):
            return False
        ids = [_item_id(line) for line in embedded.get("data") or []]
        new = ids[len(before):]
        return (ids[:len(before)] == before and len(new) == added
                and all(i is not None and i not in self.seen for i in new))


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:40]
