"""Making a Stripe draft's lines exactly the wanted ones, whatever an earlier attempt left.

Writing a draft's lines takes one request per line, so a create or an update can be cut
off between two of them: the process dies, or an answer is lost. The next attempt must not
trust its own plan; it reads the draft and repairs it. It keeps the lines that already
match the start of the wanted list, deletes the others, adds what is missing, and reads the
draft again to check (a request of a dead attempt that the server applied late may have
moved something meanwhile).

Idempotency keys of added lines are derived from the draft, the wanted lines, the line's
position and the ids of the items before it, as they are when it is added. Two attempts
that reach the same point ask under the same key, so a request of a dead attempt that the
server applies late and the new attempt's request make one line between them, not two. A
key is never asked again once its line was deleted: a line is only deleted when it does not
fit where it stands, and then the wanted lines or the items before it differ, so the key
does too.
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


class DraftLines:
    """Reads and writes the lines of drafts through one `StripeApi`."""

    def __init__(self, api: StripeApi, keep: Callable[[Reply], dict[str, Any]]):
        self.api, self._keep = api, keep

    def of(self, invoice: dict[str, Any]) -> list[dict[str, Any]]:
        """The invoice's lines, all pages of them."""
        embedded = invoice.get("lines") or {}
        if not embedded.get("has_more"):
            return list(embedded.get("data") or [])
        return [line for page in self.api.list_all(f"/v1/invoices/{invoice['id']}/lines")
                for line in page.body["data"]]

    def matches(self, invoice: dict[str, Any], wanted: list[dict[str, Any]]) -> bool:
        return line_view(self.of(invoice)) == line_view(wanted)

    def repair(self, invoice: dict[str, Any], wanted: list[dict[str, Any]]) -> None:
        """One pass towards `wanted` from the lines `invoice` shows; read it again after."""
        current = self.of(invoice)
        have, want = line_view(current), line_view(wanted)
        keep = 0
        while keep < min(len(have), len(want)) and have[keep] == want[keep]:
            keep += 1
        for line in current[keep:]:
            item_id = _item_id(line)
            if item_id:
                with contextlib.suppress(NotFoundError):  # gone already: that is the aim
                    self._keep(self.api.delete(f"/v1/invoiceitems/{item_id}"))
        before = [str(_item_id(line)) for line in current[:keep]]
        plan = _digest(invoice["id"], repr(want))
        for index, line in enumerate(wanted[keep:], start=keep):
            item = {**line, "invoice": invoice["id"], "customer": invoice["customer"]}
            key = "mlc:" + _digest(plan, str(index), *before)
            added = self._keep(self.api.post("/v1/invoiceitems", item, idempotency_key=key))
            before.append(str(added["id"]))


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:40]
