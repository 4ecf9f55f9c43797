"""Helpers for connector tests: an emulator, an encrypted store, a connected connector."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.connectors.quickbooks.emulator import create_app
from ml_connector.connectors.quickbooks.emulator.state import EmulatorState
from ml_connector.connectors.quickbooks.settings import QboSettings
from ml_connector.connectors.quickbooks.tokens import TokenSet, save_tokens
from ml_connector.engine.http import RetryPolicy
from ml_connector.engine.plugins.protocol import ConnectorContext, CredentialStore
from ml_connector.engine.store import Store
from ml_connector.engine.store.master_key import MasterKey
from ml_connector.engine.testing.servers import serve_in_thread

REALM = "9341455000000"
CLIENT_ID, CLIENT_SECRET = "qbo-test-client", "qbo-test-secret-fake123"
VERIFIER = "qbo-verifier-fake123"
CONNECTION = "qbo"
FAST_RETRY = RetryPolicy(max_attempts=4, initial_wait=0.01, max_wait=0.05, jitter=False,
                         max_retry_after=0.05)


@dataclass
class Emulator:
    url: str
    state: EmulatorState

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.post(f"{self.url}/_emulator/{path}", json=body or {}, timeout=30)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, int]:
        return dict(self.state.oauth.stats)


@contextmanager
def running_emulator(**options: Any) -> Iterator[Emulator]:
    app = create_app({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **options})
    with serve_in_thread(app) as server:
        yield Emulator(server.url, app.state.emulator)


def open_store(folder: Path) -> Store:
    return Store.open(f"sqlite:///{folder / 'state.db'}", master_key=MASTER_KEY, root=folder)


MASTER_KEY = MasterKey.generate()


def settings_for(emulator_url: str, **extra: Any) -> dict[str, Any]:
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "authorize_url": f"{emulator_url}/connect/oauth2",
            "token_url": f"{emulator_url}/oauth2/v1/tokens/bearer",
            "revoke_url": f"{emulator_url}/v2/oauth2/tokens/revoke",
            "redirect_uri": "http://127.0.0.1:8765/callback",
            "webhook_verifier_token": VERIFIER, "throttle_wait_seconds": 0.01, **extra}


def context_for(emulator_url: str, credentials: CredentialStore, **extra: Any
                ) -> ConnectorContext:
    return ConnectorContext(connection=CONNECTION, settings=settings_for(emulator_url, **extra),
                            credentials=credentials, base_url=emulator_url)


@dataclass
class Clock:
    """A wall clock the test can move forward, for the connector's expiry decisions."""

    shift: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


def connector_for(emulator: Emulator, store: Store, *, clock: Any = time.time,
                  transport: httpx.BaseTransport | None = None, **extra: Any
                  ) -> QuickBooksConnector:
    settings = QboSettings.from_mapping(CONNECTION, settings_for(emulator.url, **extra),
                                        emulator.url)
    return QuickBooksConnector(settings, store.credentials(CONNECTION), clock=clock,
                               retry=FAST_RETRY, transport=transport)


def grant_tokens(emulator: Emulator, store: Store, realm: str = REALM) -> TokenSet:
    """Store a fresh token pair as `connections auth` would (without the browser step)."""
    body = emulator.admin("connect", {"realm_id": realm})
    tokens = TokenSet.from_response(body, realm, time.time())
    save_tokens(store.credentials(CONNECTION), tokens)
    return tokens
