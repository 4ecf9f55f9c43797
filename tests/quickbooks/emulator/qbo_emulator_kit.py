"""Test helpers for the QBO emulator: a running server, an API client, a shape comparator."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from ml_connector.connectors.quickbooks.emulator import create_app, jsonio
from ml_connector.connectors.quickbooks.emulator.state import EmulatorState
from ml_connector.engine.testing.servers import serve_in_thread

REALM = "9341455000000"
CLIENT_ID, CLIENT_SECRET = "test-client-id", "test-client-secret-fake123"
REDIRECT_URI = "http://127.0.0.1:8765/callback"
EXAMPLES = json.loads((Path(__file__).parent / "fixtures" / "reference_examples.json")
                      .read_text(encoding="utf-8"))


@dataclass
class Emulator:
    url: str
    state: EmulatorState

    def admin(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        response = httpx.post(f"{self.url}/_emulator/{path}", json=dict(body or {}),
                              timeout=30)
        response.raise_for_status()
        return response.json()

    def connect(self, realm: str = REALM) -> QboClient:
        """A client holding a fresh token for `realm` (no browser step)."""
        token = self.admin("connect", {"realm_id": realm})
        return QboClient(self.url, realm, token["access_token"], token["refresh_token"])


@contextmanager
def running_emulator(**options: Any) -> Iterator[Emulator]:
    settings = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **options}
    app = create_app(settings)
    with serve_in_thread(app) as server:
        yield Emulator(server.url, app.state.emulator)


class QboClient:
    """Just enough of an API client to drive the emulator from tests."""

    def __init__(self, base: str, realm: str, access_token: str, refresh_token: str = ""):
        self.realm, self.refresh_token = realm, refresh_token
        self.http = httpx.Client(base_url=f"{base}/v3/company/{realm}", timeout=30,
                                 headers={"Authorization": f"Bearer {access_token}",
                                          "Accept": "application/json"})

    def post(self, resource: str, body: Any, **params: str) -> httpx.Response:
        return self.http.post(f"/{resource}", content=jsonio.dumps(body),
                              params={"minorversion": "75", **params},
                              headers={"Content-Type": "application/json"})

    def get(self, resource: str, **params: str) -> httpx.Response:
        return self.http.get(f"/{resource}", params={"minorversion": "75", **params})

    def ok(self, response: httpx.Response) -> Any:
        assert response.status_code == 200, response.text
        return jsonio.loads(response.content)

    def create(self, entity: str, body: Any, **params: str) -> dict[str, Any]:
        return self.ok(self.post(entity.lower(), body, **params))[entity]

    def read(self, entity: str, record_id: str) -> dict[str, Any]:
        return self.ok(self.get(f"{entity.lower()}/{record_id}"))[entity]

    def query(self, statement: str) -> dict[str, Any]:
        return self.ok(self.get("query", query=statement))["QueryResponse"]

    def find_one(self, entity: str, field: str, value: str) -> dict[str, Any]:
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        rows = self.query(f"SELECT * FROM {entity} WHERE {field} = '{escaped}'")[entity]
        assert len(rows) == 1, rows
        return rows[0]


def fault_of(response: httpx.Response) -> dict[str, Any]:
    body = jsonio.loads(response.content)
    return body["Fault"]["Error"][0]


def authorize(base: str, state: str = "xyz", **extra: str) -> dict[str, str]:
    """Run the authorize redirect and return the callback's query parameters."""
    params = {"client_id": CLIENT_ID, "response_type": "code", "state": state,
              "scope": "com.intuit.quickbooks.accounting", "redirect_uri": REDIRECT_URI, **extra}
    response = httpx.get(f"{base}/connect/oauth2", params=params, follow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def token_request(base: str, form: Mapping[str, str], *, secret: str = CLIENT_SECRET,
                  headers: Mapping[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{base}/oauth2/v1/tokens/bearer", data=dict(form),
                      auth=(CLIENT_ID, secret),
                      headers={"Accept": "application/json", **(headers or {})})


def assert_like_example(example: Any, actual: Any, vary: list[str], path: str = "") -> None:
    """Every key of the reference example is present with the same type; every value that
    is not instance-specific (listed in `vary`) or elided ("...") is equal."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), f"{path or 'root'}: expected an object, got {actual!r}"
        for key, value in example.items():
            if key == "...":
                continue
            sub = f"{path}.{key}" if path else key
            assert key in actual, f"{sub}: missing (have {sorted(actual)})"
            assert_like_example(value, actual[key], vary, sub)
    elif isinstance(example, list):
        assert isinstance(actual, list), f"{path}: expected an array, got {actual!r}"
        assert len(actual) >= len(example), f"{path}: {len(actual)} items < {len(example)}"
        for index, value in enumerate(example):
            assert_like_example(value, actual[index], vary, f"{path}[{index}]")
    elif example == "...":
        return
    else:
        _assert_leaf(example, actual, path, path in vary)


def _assert_leaf(example: Any, actual: Any, path: str, varies: bool) -> None:
    if isinstance(example, bool) or isinstance(actual, bool):
        assert type(example) is type(actual), f"{path}: {actual!r} is not like {example!r}"
    elif isinstance(example, int | float):
        assert isinstance(actual, int | Decimal), f"{path}: {actual!r} is not a number"
        if not varies:
            assert Decimal(str(actual)) == Decimal(str(example)), f"{path}: {actual} != {example}"
        return
    else:
        assert type(actual) is type(example), f"{path}: {actual!r} is not like {example!r}"
    if not varies:
        assert actual == example, f"{path}: {actual!r} != {example!r}"
