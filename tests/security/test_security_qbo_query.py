"""QBO query values are escaped: a name cannot change the query the connector sends.

The connector's `find` builds `SELECT ... WHERE DisplayName = '<value>'` from whatever a
record holds. The emulator is wrapped so the test sees the statement as it arrived, and the
answer must hold the one customer with exactly that name, however it is spelt. A property
test then reads statements for any text through the emulator's own parser (an independent
reading of the query language): the value always comes back as one whole literal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector.connectors.quickbooks.emulator import create_app
from ml_connector.connectors.quickbooks.emulator.query import parse
from ml_connector.connectors.quickbooks.plugin import plugin
from ml_connector.connectors.quickbooks.query import select
from ml_connector.connectors.quickbooks.tokens import TokenSet, save_tokens
from ml_connector.engine.plugins.protocol import Connector, ConnectorContext
from ml_connector.engine.testing.servers import serve_in_thread

REALM = "9341455000000"
CLIENT_ID, CLIENT_SECRET = "query-client", "query-client-secret-fake123"

NASTY = [
    "O'Brien Plumbing",
    "x' OR DisplayName LIKE '%",
    "\\' OR '1'='1",
    "Back\\Slash",
    "ends with a backslash\\",
    "two '' quotes",
    "%",
    "Acme'; SELECT * FROM Customer WHERE '1'='1",
    "Zoë \\\\' AND Active = false",
]


class Recorder:
    """ASGI middleware keeping the query statements the emulator received.

    A statement arrives in the URL (`?query=`) or as a text body (POST), as QBO allows both.
    """

    def __init__(self, app: Any):
        self.app, self.statements = app, []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/query"):
            await self.app(scope, receive, send)
            return
        self.statements.extend(parse_qs(scope["query_string"].decode("utf-8")).get("query", []))
        body = bytearray()

        async def reading() -> Any:  # kept before the emulator can answer
            message = await receive()
            body.extend(message.get("body", b""))
            if body and not message.get("more_body"):
                self.statements.append(body.decode("utf-8"))
            return message

        await self.app(scope, reading, send)


class MemoryCredentials:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.lock = threading.Lock()

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def put(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)

    @contextmanager
    def locked(self, key: str) -> Iterator[None]:
        with self.lock:
            yield


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder(create_app({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                    "realm_id": REALM, "seed": False}))
    with serve_in_thread(recorder) as server:
        yield server.url, recorder


@pytest.fixture(scope="module")
def connector(emulator: tuple[str, Recorder]) -> Iterator[Connector]:
    url, _ = emulator
    tokens = httpx.post(f"{url}/_emulator/connect", json={"realm_id": REALM}, timeout=30)
    credentials = MemoryCredentials()
    save_tokens(credentials, TokenSet.from_response(tokens.json(), REALM, time.time()))
    opened = plugin.connect(ConnectorContext(
        connection="quickbooks", credentials=credentials, base_url=url,
        settings={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                  "token_url": f"{url}/oauth2/v1/tokens/bearer"}))
    for index, name in enumerate(["Victim Corp", "O", "x", "Back", "Acme", *NASTY]):
        opened.create("Customer", {"DisplayName": name}, idempotency_key=f"c{index}")
    yield opened
    opened.close()


def literal(value: str) -> str:
    """The QBO string literal of `value` as the API reference spells the rule (A6)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@pytest.mark.parametrize("name", NASTY)
def test_a_name_with_quotes_and_backslashes_finds_only_itself(
        connector: Connector, emulator: tuple[str, Recorder], name: str) -> None:
    _, recorder = emulator
    sent_before = len(recorder.statements)
    found = connector.find("Customer", "DisplayName", name)
    assert [record.data["DisplayName"] for record in found] == [name]
    (statement,) = recorder.statements[sent_before:]
    assert f"WHERE DisplayName = {literal(name)} AND" in statement
    (condition, *_rest) = parse(statement).where
    assert (condition.field, condition.op, condition.values) == ("DisplayName", "=", (name,))


def test_a_name_that_matches_nobody_finds_nobody(connector: Connector) -> None:
    assert connector.find("Customer", "DisplayName", "nobody' OR '1'='1") == []


@settings(max_examples=200, deadline=None)
@given(value=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40))
def test_any_value_is_one_literal_in_the_statement(value: str) -> None:
    statement = select("Customer", [("DisplayName", "=", value), ("Active", "IN",
                                                                  (True, False))])
    query = parse(statement)
    assert [(c.field, c.op, c.values) for c in query.where] == [
        ("DisplayName", "=", (value,)), ("Active", "IN", (True, False))]
    assert query.entity == "Customer"
