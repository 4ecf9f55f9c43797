"""The query language: escaping, operators, dotted fields, ordering, paging, parse errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from qbo_emulator_kit import QboClient, fault_of

from ml_connector.connectors.quickbooks.emulator.query import parse, tokenize

NAMES = ["O'Brien Plumbing", "Back\\Slash Ltd", "100% Organic Farms", "Zoë Café",
         "Smith, Jones & Associates", "Acme Widgets Ltd"]


@pytest.fixture
def named(qbo: QboClient) -> QboClient:
    for name in NAMES:
        qbo.create("Customer", {"DisplayName": name})
    return qbo


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


@pytest.mark.parametrize("name", NAMES)
def test_escaped_names_find_exactly_their_customer(named: QboClient, name: str) -> None:
    rows = named.query(f"SELECT * FROM Customer WHERE DisplayName = '{escape(name)}'")
    assert [row["DisplayName"] for row in rows["Customer"]] == [name]


@pytest.mark.parametrize("statement", [
    "SELECT * FROM Customer WHERE DisplayName = 'O'Brien Plumbing'",
    "SELECT * FROM Customer WHERE DisplayName = 'x' OR DisplayName = 'y'",
    "SELECT * FROM Customer WHERE DisplayName = 'x' OR 1=1",
    "SELECT * FROM Customer WHERE DisplayName = 'x'; DELETE FROM Customer",
    "SELECT * FROM Customer WHERE DisplayName = 'unterminated",
    "SELECT * FROM Customer WHERE DisplayName != 'x'",
    "SELECT * FROM Customer ORDER BY DisplayName",
    "SELECT FROM Customer",
])
def test_malformed_or_injected_statements_are_parse_errors(named: QboClient,
                                                          statement: str) -> None:
    response = named.get("query", query=statement)
    assert response.status_code == 400
    error = fault_of(response)
    assert error["code"] == "4000" and error["Detail"].startswith("QueryParserError")


def test_an_injection_inside_a_properly_escaped_value_is_just_text(named: QboClient) -> None:
    hostile = "x' OR DisplayName LIKE '%"
    rows = named.query(f"SELECT * FROM Customer WHERE DisplayName = '{escape(hostile)}'")
    assert rows == {}


def test_like_matches_percent_wildcards_case_insensitively(named: QboClient) -> None:
    rows = named.query("SELECT * FROM Customer WHERE DisplayName LIKE '%ltd'")
    assert sorted(r["DisplayName"] for r in rows["Customer"]) == ["Acme Widgets Ltd",
                                                                  "Back\\Slash Ltd"]
    literal_percent = named.query("SELECT * FROM Customer WHERE DisplayName LIKE '100\\%%'")
    assert [r["DisplayName"] for r in literal_percent["Customer"]] == ["100% Organic Farms"]


def test_in_and_and_combine(named: QboClient) -> None:
    rows = named.query("SELECT * FROM Customer WHERE DisplayName IN ('Zoë Café', "
                       "'Acme Widgets Ltd', 'Nobody') AND Active = true")
    assert sorted(r["DisplayName"] for r in rows["Customer"]) == ["Acme Widgets Ltd", "Zoë Café"]


def test_numbers_compare_as_money_and_refs_by_id(qbo: QboClient) -> None:
    item = qbo.find_one("Item", "Name", "Services")["Id"]
    customer = qbo.create("Customer", {"DisplayName": "Payer"})
    for amount in ("9.99", "10.00", "100.00"):
        qbo.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [
            {"DetailType": "SalesItemLineDetail", "Amount": amount,
             "SalesItemLineDetail": {"ItemRef": {"value": item}}}]})
    rows = qbo.query(f"SELECT * FROM Invoice WHERE CustomerRef = '{customer['Id']}' "
                     "AND Balance > '9.99' ORDERBY TotalAmt DESC")
    assert [str(r["TotalAmt"]) for r in rows["Invoice"]] == ["100.00", "10.00"]


def test_metadata_times_compare_as_instants_across_offsets(qbo: QboClient) -> None:
    created = qbo.create("Customer", {"DisplayName": "Timely"})
    local = datetime.fromisoformat(created["MetaData"]["LastUpdatedTime"])
    assert local.utcoffset() != timedelta(0)
    as_utc = local.astimezone(UTC).isoformat()
    same_instant = qbo.query(
        f"SELECT * FROM Customer WHERE MetaData.LastUpdatedTime >= '{as_utc}'")
    assert [r["DisplayName"] for r in same_instant["Customer"]] == ["Timely"]
    after = (local + timedelta(seconds=1)).astimezone(UTC).isoformat()
    assert qbo.query(f"SELECT * FROM Customer WHERE MetaData.LastUpdatedTime >= '{after}'") == {}
    future = qbo.query("SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > "
                       "'2999-01-01T00:00:00Z'")
    assert future == {}


def test_paging_with_startposition_and_maxresults(qbo: QboClient) -> None:
    for index in range(7):
        qbo.create("Customer", {"DisplayName": f"Page Customer {index}"})
    seen, start = [], 1
    while True:
        page = qbo.query("SELECT * FROM Customer WHERE DisplayName LIKE 'Page Customer%' "
                         f"ORDERBY DisplayName STARTPOSITION {start} MAXRESULTS 3")
        if not page:
            break
        assert page["startPosition"] == start and page["maxResults"] == len(page["Customer"])
        seen += [r["DisplayName"] for r in page["Customer"]]
        start += 3
    assert seen == [f"Page Customer {i}" for i in range(7)]


def test_maxresults_is_capped_at_1000(qbo: QboClient) -> None:
    page = qbo.query("SELECT * FROM Account MAXRESULTS 5000")
    assert page["maxResults"] == len(page["Account"]) <= 1000


def test_count_ignores_paging(named: QboClient) -> None:
    assert named.query("SELECT COUNT(*) FROM Customer MAXRESULTS 1") == {"totalCount": 6}


def test_unknown_entities_and_unfilterable_fields_are_validation_errors(
        named: QboClient) -> None:
    unknown = named.get("query", query="SELECT * FROM Custmer")
    assert fault_of(unknown)["code"] == "4001"
    unfilterable = named.get("query", query="SELECT * FROM Customer WHERE Notes = 'x'")
    assert fault_of(unfilterable)["code"] == "4001"


def test_a_query_can_be_posted_as_text(named: QboClient) -> None:
    response = named.http.post("/query", content="SELECT COUNT(*) FROM Customer",
                               headers={"Content-Type": "application/text"})
    assert named.ok(response)["QueryResponse"] == {"totalCount": 6}


def test_tokenizer_keeps_an_escaped_quote_inside_one_string() -> None:
    tokens = tokenize("DisplayName = 'O\\'Brien'")
    assert [(t.kind, t.value) for t in tokens[:-1]] == [
        ("ident", "DisplayName"), ("op", "="), ("string", "O'Brien")]


def test_parser_reads_every_clause() -> None:
    query = parse("select * from Invoice where TxnDate >= '2026-01-01' and DocNumber in "
                  "('1', '2') orderby TxnDate desc, DocNumber startposition 11 maxresults 10")
    assert query.entity == "Invoice" and not query.count
    assert [(c.field, c.op, c.values) for c in query.where] == [
        ("TxnDate", ">=", ("2026-01-01",)), ("DocNumber", "IN", ("1", "2"))]
    assert query.order == [("TxnDate", True), ("DocNumber", False)]
    assert (query.start, query.max_results) == (11, 10)


def test_id_in_reads_the_named_live_rows_and_still_applies_every_condition(
        named: QboClient) -> None:
    ids = {row["DisplayName"]: row["Id"] for row in
           named.query("SELECT * FROM Customer MAXRESULTS 10")["Customer"]}
    acme, zoe = ids["Acme Widgets Ltd"], ids["Zoë Café"]
    gone = named.create("Invoice", {"CustomerRef": {"value": acme}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": "5.00", "SalesItemLineDetail": {
            "ItemRef": {"value": named.find_one("Item", "Name", "Services")["Id"]}}}]})
    named.ok(named.post("invoice", {"Id": gone["Id"], "SyncToken": gone["SyncToken"]},
                        operation="delete"))
    rows = named.query(f"SELECT * FROM Customer WHERE Id IN ('{acme}', '{zoe}', "
                       f"'{gone['Id']}', '99999') AND DisplayName LIKE 'Acme%'")
    assert [r["Id"] for r in rows["Customer"]] == [acme]
    assert named.query(f"SELECT * FROM Invoice WHERE Id IN ('{gone['Id']}')") == {}
    both = named.query(f"SELECT * FROM Customer WHERE Id IN ({zoe}, '{acme}')")
    assert sorted(r["Id"] for r in both["Customer"]) == sorted([acme, zoe])
