"""Merging one customer into another, as a QuickBooks user does in the Customers list.

QuickBooks has no API for it (it is a UI action), so the emulator offers it under
`/_emulator/`. What follows is what Intuit documents for a merge: the merged customer's
transactions move to the survivor, the merged customer is left inactive (and named
"... (deleted)", as every deleted customer), and one webhook notification announces it:
operation `Merge` on the survivor's id with the merged id as `deletedId` (CloudEvents:
`qbo.customer.merged.v1` with `data.deletedid`). CDC shows the survivor, the merged customer
(now inactive) and each moved transaction as changed. The moved transactions are announced
as updates too, as any change QuickBooks makes to a transaction (unverified for merges).
"""

from __future__ import annotations

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.rules.base import clean_ref

# Transactions that name a customer in `CustomerRef`.
CUSTOMER_TRANSACTIONS = ("Invoice", "Payment", "SalesReceipt", "CreditMemo", "RefundReceipt",
                         "Estimate")


def merge_customers(ledger: Ledger, merged_id: str, into: str) -> dict[str, object]:
    """Merge customer `merged_id` into `into`; the answer says what moved."""
    if merged_id == into:
        raise errors.business_rule("A customer cannot be merged into itself", "Id")
    merged = ledger.ref("Customer", {"value": merged_id}, "Id")
    survivor = ledger.ref("Customer", {"value": into}, "Id")
    moved = []
    for entity in CUSTOMER_TRANSACTIONS:
        for txn in list(ledger.realm.live(entity)):
            if (txn.data.get("CustomerRef") or {}).get("value") == merged.id:
                ledger.touch(txn, {"CustomerRef": clean_ref(survivor)})
                moved.append(f"{entity}/{txn.id}")
    opening = merged.hidden.pop("opening", 0)
    if opening:
        survivor.hidden["opening"] = survivor.hidden.get("opening", 0) + opening
    name = str(merged.data.get("DisplayName", ""))
    ledger.touch(merged, {"Active": False, "DisplayName": f"{name} (deleted)"[:500]},
                 operation=None)
    ledger.touch(survivor, {}, operation=None)
    ledger.record(survivor, "Merge", deleted_id=merged.id)
    return {"merged": merged.id, "into": survivor.id, "moved": moved}
