"""Options, the seed account and the state file."""

from __future__ import annotations

from pathlib import Path

import pytest
from stripe_flows import ok, running_emulator

from ml_connector.connectors.stripe.emulator import create_app


def test_state_survives_a_restart_through_the_state_file(tmp_path: Path) -> None:
    state_file = str(tmp_path / "stripe.json")
    with running_emulator(state_file=state_file) as first:
        cust = ok(first.http.post("/v1/customers", data={"email": "kept@example.com"}))
    with running_emulator(state_file=state_file) as second:
        again = ok(second.http.get(f"/v1/customers/{cust['id']}"))
        listed = ok(second.http.get("/v1/events"))["data"]
        found = ok(second.http.get("/v1/customers/search",
                                   params={"query": "email:'kept@example.com'"}))["data"]
    assert again == cust
    assert [e["type"] for e in listed] == ["customer.created"]
    assert [c["id"] for c in found] == [cust["id"]]


def test_seed_account_is_realistic() -> None:
    with running_emulator(seed=True) as emu:
        customers = ok(emu.http.get("/v1/customers", params={"limit": 100}))["data"]
        invoices = ok(emu.http.get("/v1/invoices"))["data"]
    assert len(customers) == 5
    assert sorted(i["status"] for i in invoices) == ["open", "paid"]
    assert all(c["created"] < invoices[0]["created"] for c in customers)


def test_unknown_options_are_refused_with_a_suggestion() -> None:
    with pytest.raises(ValueError, match="did you mean 'search_lag_seconds'"):
        create_app({"search_lag_secs": 60})
