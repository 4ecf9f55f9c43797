"""Customers: CRUD, the email list filter, and search with its lag."""

from __future__ import annotations

from typing import Any

import httpx


def _create(http: httpx.Client, **data: str) -> dict[str, Any]:
    response = http.post("/v1/customers", data=data)
    assert response.status_code == 200, response.text
    return response.json()


def test_create_update_retrieve(stripe_http: httpx.Client) -> None:
    created = _create(stripe_http, **{"name": "Acme", "email": "ap@acme.example",
                                      "address[city]": "Paris", "metadata[qbo_customer_id]": "58"})
    assert created["id"].startswith("cus_")
    assert created["address"]["city"] == "Paris" and created["address"]["line1"] is None
    updated = stripe_http.post(f"/v1/customers/{created['id']}",
                               data={"phone": "+1 555", "metadata[qbo_customer_id]": "",
                                     "metadata[other]": "x"}).json()
    assert updated["phone"] == "+1 555"
    assert updated["metadata"] == {"other": "x"}
    fetched = stripe_http.get(f"/v1/customers/{created['id']}").json()
    assert fetched == updated


def test_invalid_update_changes_nothing(stripe_http: httpx.Client) -> None:
    cust = _create(stripe_http, name="Before")
    bad = stripe_http.post(f"/v1/customers/{cust['id']}",
                           data={"name": "After", "email": "not-an-email"})
    assert bad.status_code == 400
    assert stripe_http.get(f"/v1/customers/{cust['id']}").json()["name"] == "Before"


def test_delete_leaves_a_deleted_stub(stripe_http: httpx.Client) -> None:
    cust = _create(stripe_http, name="Gone")
    deleted = stripe_http.delete(f"/v1/customers/{cust['id']}").json()
    assert deleted == {"id": cust["id"], "object": "customer", "deleted": True}
    assert stripe_http.get(f"/v1/customers/{cust['id']}").json()["deleted"] is True
    assert stripe_http.post(f"/v1/customers/{cust['id']}", data={"name": "x"}).status_code == 404


def test_list_filters_by_exact_email_newest_first(stripe_http: httpx.Client) -> None:
    first = _create(stripe_http, email="shared@example.com", name="One")
    _create(stripe_http, email="other@example.com")
    second = _create(stripe_http, email="shared@example.com", name="Two")
    listed = stripe_http.get("/v1/customers", params={"email": "shared@example.com"}).json()
    assert [c["id"] for c in listed["data"]] == [second["id"], first["id"]]


def test_pagination_walks_every_customer_once(stripe_http: httpx.Client) -> None:
    ids = {_create(stripe_http, name=f"C{i}")["id"] for i in range(7)}
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = stripe_http.get("/v1/customers", params=params).json()
        seen += [c["id"] for c in page["data"]]
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    assert sorted(seen) == sorted(ids) and len(seen) == 7
    back = stripe_http.get("/v1/customers", params={"ending_before": seen[3], "limit": 2}).json()
    assert [c["id"] for c in back["data"]] == seen[1:3] and back["has_more"] is True


def _search(http: httpx.Client, query: str) -> list[str]:
    response = http.get("/v1/customers/search", params={"query": query})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["data"]]


def test_search_by_metadata_and_email(stripe_http: httpx.Client) -> None:
    acme = _create(stripe_http, email="ap@acme.example", **{"metadata[qbo_customer_id]": "58"})
    _create(stripe_http, email="x@other.example", **{"metadata[qbo_customer_id]": "59"})
    assert _search(stripe_http, "metadata['qbo_customer_id']:'58'") == [acme["id"]]
    assert _search(stripe_http, 'email:"ap@acme.example"') == [acme["id"]]
    assert _search(stripe_http, "email:'nobody@example.com'") == []
    both = _search(stripe_http, "metadata['qbo_customer_id']:'58' OR email:'x@other.example'")
    assert len(both) == 2


def test_search_values_may_hold_quotes_and_keywords(stripe_http: httpx.Client) -> None:
    quoted = _create(stripe_http, name="O'Brien AND Sons")
    assert _search(stripe_http, "name:'O\\'Brien AND Sons'") == [quoted["id"]]
    assert _search(stripe_http, 'name:"O\'Brien AND Sons" AND email:null') == [quoted["id"]]


def test_search_rejects_queries_stripe_rejects(stripe_http: httpx.Client) -> None:
    mixed = "email:'a@b.c' AND name:'x' OR name:'y'"
    for query in (mixed, "unknownfield:'x'", "email"):
        response = stripe_http.get("/v1/customers/search", params={"query": query})
        assert response.status_code == 400, query


def test_new_customers_are_not_searchable_until_the_lag_has_passed(
        emulator_factory: Any) -> None:
    with emulator_factory(search_lag_seconds=60) as emu:
        cust = _create(emu.http, **{"metadata[qbo_customer_id]": "77"})
        query = "metadata['qbo_customer_id']:'77'"
        assert _search(emu.http, query) == []
        emu.helper("clock", {"advance": 61})
        assert _search(emu.http, query) == [cust["id"]]
        emu.http.post(f"/v1/customers/{cust['id']}", data={"metadata[qbo_customer_id]": "78"})
        assert _search(emu.http, query) == [cust["id"]], "the index still shows the old value"


def test_seeded_account_has_customers_to_adopt(emulator_factory: Any) -> None:
    with emulator_factory(seed=True) as emu:
        by_metadata = _search(emu.http, "metadata['qbo_customer_id']:'58'")
        by_email = emu.http.get("/v1/customers",
                                params={"email": "billing@globex.example"}).json()["data"]
    assert len(by_metadata) == 1
    assert len(by_email) == 1 and by_email[0]["metadata"] == {}


def test_empty_values_unset_fields_as_stripe_does(stripe_http: httpx.Client) -> None:
    cust = _create(stripe_http, **{"name": "Acme", "description": "Acme Ltd",
                                   "address[line1]": "1 Quay", "address[line2]": "Unit 4",
                                   "metadata[a]": "1", "metadata[b]": "2"})
    updated = stripe_http.post(f"/v1/customers/{cust['id']}", data={
        "description": "", "address[line1]": "1 Quay", "address[line2]": "",
        "metadata[a]": ""}).json()
    assert updated["description"] is None and updated["metadata"] == {"b": "2"}
    assert (updated["address"]["line1"], updated["address"]["line2"]) == ("1 Quay", None)
    gone = stripe_http.post(f"/v1/customers/{cust['id']}", data={"address": ""}).json()
    assert gone["address"] is None
