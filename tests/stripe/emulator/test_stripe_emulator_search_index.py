"""The search index's exact-value shortcut answers exactly what a scan of every object does.

The shortcut only narrows the candidates; these tests replay random histories (creates,
changed values, deletions, search lag) and compare every query with the plain scan.
"""

from __future__ import annotations

import random
from typing import Any

import httpx

from ml_connector.connectors.stripe.emulator.customers import SEARCH_FIELDS
from ml_connector.connectors.stripe.emulator.search import SearchIndex, parse_query

EMAILS = ["a@x.example", "A@X.example", "b@x.example", None]
NAMES = ["Acme", "acme", "Globex", "O'Brien"]
QBO_IDS = ["1", "2", "3", "58"]


def _history(seed: int) -> tuple[SearchIndex, float]:
    rng, index, clock = random.Random(seed), SearchIndex(), 1000.0
    ids = [f"cus_{n}" for n in range(40)]
    for _ in range(200):
        clock += rng.choice([0.0, 0.5, 2.0])
        object_id = rng.choice(ids)
        visible_at = clock + rng.choice([0.0, 0.0, 1.0, 30.0])
        if rng.random() < 0.1:
            index.forget(object_id, visible_at)
            continue
        obj: dict[str, Any] = {"id": object_id, "object": "customer",
                               "email": rng.choice(EMAILS), "name": rng.choice(NAMES),
                               "created": int(clock),
                               "metadata": {"qbo_customer_id": rng.choice(QBO_IDS)}}
        index.index(obj, visible_at)
    return index, clock


QUERIES = [
    "email:'a@x.example'", "email:'B@X.EXAMPLE'", "name:'acme'", "name~'ac'",
    "metadata['qbo_customer_id']:'58'", "metadata['qbo_customer_id']:'2' AND name:'Globex'",
    "email:'a@x.example' OR metadata['qbo_customer_id']:'3'", "-email:'a@x.example'",
    "email:null", "email:'nobody@x.example'", "name:'Acme' AND -metadata['qbo_customer_id']:'1'",
]


def test_exact_value_candidates_give_the_same_answers_as_a_full_scan() -> None:
    for seed in range(25):
        index, end = _history(seed)
        for now in (end - 40, end - 5, end, end + 60):
            for text in QUERIES:
                query = parse_query(text, SEARCH_FIELDS)
                scanned = [o for o in index.visible(now) if query(o)]
                narrowed = [o for o in index.visible(now, query) if query(o)]
                assert narrowed == scanned, (seed, now, text)


def test_the_email_list_filter_follows_changes_and_deletions(stripe_http: httpx.Client) -> None:
    def listed(email: str) -> list[str]:
        reply = stripe_http.get("/v1/customers", params={"email": email, "limit": 100})
        assert reply.status_code == 200, reply.text
        return [c["id"] for c in reply.json()["data"]]

    first = stripe_http.post("/v1/customers", data={"email": "ap@acme.example"}).json()
    second = stripe_http.post("/v1/customers", data={"email": "ap@acme.example"}).json()
    other = stripe_http.post("/v1/customers", data={"email": "AP@acme.example"}).json()
    assert listed("ap@acme.example") == [second["id"], first["id"]]   # newest first, exact case
    assert listed("AP@acme.example") == [other["id"]]

    stripe_http.post(f"/v1/customers/{first['id']}", data={"email": "new@acme.example"})
    stripe_http.delete(f"/v1/customers/{second['id']}")
    assert listed("ap@acme.example") == []
    assert listed("new@acme.example") == [first["id"]]
