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


def test_a_restart_moves_the_endpoint_signed_with_the_receivers_secret(tmp_path: Path) -> None:
    """A saved account's endpoint follows its receiver to a new address, and only that one."""
    state_file = str(tmp_path / "stripe.json")
    with running_emulator(state_file=state_file) as first:
        first.helper("webhook_endpoints", {"url": "http://127.0.0.1:9101/webhooks/stripe",
                                           "secret": "whsec_project"})
        first.helper("webhook_endpoints", {"url": "https://elsewhere.example/hooks",
                                           "secret": "whsec_someone_else"})
    with running_emulator(state_file=state_file, webhook_url="http://127.0.0.1:9202/webhooks/x",
                          webhook_secret="whsec_project") as second:
        endpoints = ok(second.http.get("/v1/webhook_endpoints"))["data"]
        signing = {e["url"]: second.emulator.webhooks.secrets_for(e["id"]) for e in endpoints}
    assert signing == {"http://127.0.0.1:9202/webhooks/x": ["whsec_project"],
                       "https://elsewhere.example/hooks": ["whsec_someone_else"]}


def test_a_receiver_without_an_endpoint_gets_one_signed_with_its_secret() -> None:
    with running_emulator(webhook_url="http://127.0.0.1:9303/webhooks/stripe",
                          webhook_secret="whsec_fresh") as emu:
        endpoints = ok(emu.http.get("/v1/webhook_endpoints"))["data"]
        assert [(e["url"], e["enabled_events"]) for e in endpoints] == [
            ("http://127.0.0.1:9303/webhooks/stripe", ["*"])]
        assert emu.emulator.webhooks.secrets_for(endpoints[0]["id"]) == ["whsec_fresh"]
