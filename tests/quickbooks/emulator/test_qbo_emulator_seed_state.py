"""The sample company, and state that survives a restart through `state_file`."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from qbo_emulator_kit import REALM, Emulator, QboClient, running_emulator

from ml_connector.connectors.quickbooks.emulator import create_app


def content(emulator_app: object) -> dict:
    realm = emulator_app.state.emulator.snapshot()["realms"][REALM]["entities"]  # type: ignore
    return {entity: [{k: v for k, v in row.items() if k != "MetaData"} for row in rows]
            for entity, rows in realm.items()}


def test_seeding_is_deterministic() -> None:
    assert content(create_app({"seed": True})) == content(create_app({"seed": True}))


def test_seeded_company_has_the_promised_variety() -> None:
    with running_emulator(seed=True) as emulator:
        qbo = emulator.connect()
        count = qbo.query("SELECT COUNT(*) FROM Customer")["totalCount"]
        assert 25 <= count <= 40
        assert qbo.find_one("Customer", "DisplayName", "O'Brien Plumbing")["BillAddr"]["City"]
        long_names = qbo.query("SELECT * FROM Customer WHERE DisplayName LIKE 'The Extra%'")
        assert len(long_names["Customer"][0]["DisplayName"]) > 100
        yen = qbo.query("SELECT * FROM Customer WHERE DisplayName LIKE '%Sakura%'")["Customer"]
        assert yen[0]["CurrencyRef"]["value"] == "JPY"
        invoices = qbo.query("SELECT * FROM Invoice MAXRESULTS 1000")["Invoice"]
        assert any(inv["CurrencyRef"]["value"] == "JPY" for inv in invoices)
        assert any(inv["TxnTaxDetail"]["TotalTax"] > 0 for inv in invoices)
        assert any(ln["DetailType"] == "DiscountLineDetail"
                   for inv in invoices for ln in inv["Line"])
        assert any(len([ln for ln in inv["Line"] if ln["DetailType"] ==
                        "SalesItemLineDetail"]) >= 3 for inv in invoices)
        assert any(inv["Balance"] == 0 for inv in invoices)
        assert any(0 < inv["Balance"] < inv["TotalAmt"] for inv in invoices)
        for subtype in ("UndepositedFunds", "Checking"):
            assert qbo.find_one("Account", "AccountSubType", subtype)
        assert qbo.find_one("Account", "Name", "Stripe Clearing")["AccountType"] == "Bank"


def test_seeded_totals_follow_lines_discount_and_tax() -> None:
    with running_emulator(seed=True) as emulator:
        qbo = emulator.connect()
        farm = qbo.find_one("Customer", "DisplayName", "100% Organic Farms")
        invoice = qbo.query(f"SELECT * FROM Invoice WHERE CustomerRef = '{farm['Id']}'")[
            "Invoice"][0]
        # 8 x 25 + 30 x 12.50 + 35 = 610; less 25 discount; plus 48.40 tax
        assert invoice["TotalAmt"] == Decimal("633.40")


def test_seed_can_be_loaded_into_a_running_emulator(emulator: Emulator,
                                                    qbo: QboClient) -> None:
    assert qbo.query("SELECT COUNT(*) FROM Customer")["totalCount"] == 0
    emulator.admin("seed", {"realm_id": REALM})
    assert qbo.query("SELECT COUNT(*) FROM Customer")["totalCount"] == 30


def test_state_file_keeps_company_and_grants_across_restarts(tmp_path: Path) -> None:
    state_file = tmp_path / "qbo-state.json"
    with running_emulator(state_file=str(state_file)) as emulator:
        qbo = emulator.connect()
        created = qbo.create("Customer", {"DisplayName": "Survivor", "Balance": "12.50"})
        token = qbo.http.headers["Authorization"]
    with running_emulator(state_file=str(state_file)) as restarted:
        again = QboClient(restarted.url, REALM, token.removeprefix("Bearer "))
        survivor = again.read("Customer", created["Id"])
        assert survivor["DisplayName"] == "Survivor"
        assert survivor["Balance"] == Decimal("12.50")
        assert again.create("Customer", {"DisplayName": "Next"})["Id"] != created["Id"]
