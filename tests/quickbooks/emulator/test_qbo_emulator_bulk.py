"""Bulk seeding (`POST /_emulator/bulk`): a large company whose records read like API ones."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from qbo_emulator_kit import Emulator, QboClient, fault_of

VOLATILE = ("Id", "MetaData", "DisplayName", "FullyQualifiedName", "CompanyName",
            "PrimaryEmailAddr", "PrimaryPhone", "BillAddr", "Balance", "BalanceWithJobs")


def _shape(row: dict[str, Any], volatile: tuple[str, ...]) -> dict[str, Any]:
    """Every key, with the value where it must match and only its kind where it varies."""
    return {k: (isinstance(v, dict) if k in volatile else v) for k, v in row.items()}


def test_bulk_records_have_the_shape_and_totals_of_api_created_ones(
        emulator: Emulator, qbo: QboClient) -> None:
    made = emulator.admin("bulk", {"customers": 3, "invoices_per_customer": 2,
                                   "lines_per_invoice": 3})
    assert (made["customers"], made["invoices"]) == (3, 6)
    seeded = qbo.read("Customer", made["customer_ids"][1])
    body = {k: seeded[k] for k in ("CompanyName", "PrimaryEmailAddr", "PrimaryPhone",
                                   "BillAddr")}
    by_api = qbo.create("Customer", {**body, "DisplayName": "Made by the API"})
    assert _shape(seeded, VOLATILE) == _shape(by_api, VOLATILE)

    invoices = qbo.query("SELECT * FROM Invoice MAXRESULTS 1000")["Invoice"]
    assert len(invoices) == 6
    owed = [inv["TotalAmt"] for inv in invoices if inv["CustomerRef"]["value"] == seeded["Id"]]
    assert len(owed) == 2 and seeded["Balance"] == sum(owed, Decimal(0))
    for invoice in invoices:
        sales = [ln for ln in invoice["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
        assert len(sales) == 3
        assert invoice["TotalAmt"] == sum((Decimal(str(ln["Amount"])) for ln in sales),
                                          Decimal(0))
        assert invoice["Balance"] == invoice["TotalAmt"]


def test_bulk_names_are_unique_and_a_second_batch_needs_its_own_prefix(
        emulator: Emulator, qbo: QboClient) -> None:
    emulator.admin("bulk", {"customers": 50, "invoices_per_customer": 0})
    emulator.admin("bulk", {"customers": 50, "invoices_per_customer": 0, "prefix": "More"})
    rows = qbo.query("SELECT * FROM Customer MAXRESULTS 1000")["Customer"]
    names = [row["DisplayName"] for row in rows]
    assert len(names) == 100 == len(set(names))

    again = qbo.http.post(f"{emulator.url}/_emulator/bulk",
                          json={"customers": 2, "invoices_per_customer": 0})
    assert again.status_code == 400
    assert fault_of(again)["code"] == "6240"


def test_bulk_refuses_sizes_out_of_range(emulator: Emulator) -> None:
    for body in ({"customers": -1}, {"customers": 1, "lines_per_invoice": 0},
                 {"customers": "many"}):
        reply = httpx.post(f"{emulator.url}/_emulator/bulk", json=body, timeout=30)
        assert reply.status_code == 400, body
