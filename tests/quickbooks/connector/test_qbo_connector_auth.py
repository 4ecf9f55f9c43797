"""OAuth in the connector: the whole flow, refresh before expiry and on 401, rotation
persisted before use, one refresh per realm, and a clear stop when re-authorisation is due."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from qbo_connector_kit import (
    CONNECTION,
    FAST_RETRY,
    REALM,
    Clock,
    Emulator,
    connector_for,
    context_for,
    grant_tokens,
    open_store,
    running_emulator,
)

from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.connectors.quickbooks.plugin import plugin
from ml_connector.connectors.quickbooks.tokens import TOKENS_KEY, TokenSet, load_tokens
from ml_connector.engine.errors import AuthError
from ml_connector.engine.store import Store
from ml_connector.engine.testing.servers import free_port


def services_id(connector: Any) -> str:
    return connector.find("Item", "Name", "Services")[0].id


def browser(url: str) -> str:
    """What a browser does with the authorize URL: follow it to the redirect."""
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def test_whole_flow_with_a_pasted_redirect_stores_tokens_encrypted(emulator: Emulator,
                                                                   store: Store) -> None:
    printed: list[str] = []
    context = context_for(emulator.url, store.credentials(CONNECTION))
    summary = plugin.authorize(context, echo=printed.append,
                               read_redirect=lambda _prompt: browser(printed[0].split("\n")[1]))
    assert summary["realm_id"] == REALM
    tokens = load_tokens(store.credentials(CONNECTION))
    assert tokens is not None and tokens.realm_id == REALM
    raw = Path(store.database.engine.url.database).read_bytes()  # type: ignore[arg-type]
    assert tokens.refresh_token.encode() not in raw and tokens.access_token.encode() not in raw
    connector = plugin.connect(context)
    assert services_id(connector)


def test_whole_flow_on_the_local_callback_port(emulator: Emulator, store: Store) -> None:
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    context = context_for(emulator.url, store.credentials(CONNECTION), redirect_uri=redirect)
    printed: list[str] = []

    def echo(text: str) -> None:
        printed.append(text)
        if len(printed) == 1:  # the user opens the printed URL in a browser
            url = text.split("\n")[1]
            threading.Timer(0.2, lambda: httpx.get(url, follow_redirects=True)).start()

    summary = plugin.authorize(context, echo=echo, open_browser=False, timeout=10)
    assert summary["realm_id"] == REALM
    assert emulator.stats()["code_exchanges"] == 1


def test_a_redirect_with_the_wrong_state_is_refused(emulator: Emulator, store: Store) -> None:
    context = context_for(emulator.url, store.credentials(CONNECTION))
    printed: list[str] = []

    def forged(_prompt: str) -> str:
        return browser(printed[0].split("\n")[1]).replace("state=", "state=x")

    with pytest.raises(AuthError, match="state"):
        plugin.authorize(context, echo=printed.append, read_redirect=forged)
    assert load_tokens(store.credentials(CONNECTION)) is None
    assert emulator.stats().get("code_exchanges", 0) == 0


def test_a_declined_authorisation_is_reported(emulator: Emulator, store: Store) -> None:
    context = context_for(emulator.url, store.credentials(CONNECTION))
    printed: list[str] = []

    def declined(_prompt: str) -> str:
        return browser(printed[0].split("\n")[1] + "&emulator_decision=deny")

    with pytest.raises(AuthError, match="access_denied"):
        plugin.authorize(context, echo=printed.append, read_redirect=declined)


def test_access_token_is_refreshed_before_it_expires(tmp_path: Path) -> None:
    with running_emulator(access_token_ttl=60) as emulator, \
            open_store(tmp_path) as store:
        first = grant_tokens(emulator, store)
        clock = Clock()
        connector = connector_for(emulator, store, clock=clock)
        item = services_id(connector)
        clock.shift = 55  # within the refresh margin (a fifth of the token's life)
        assert connector.get("Item", item) is not None
        stats = emulator.stats()
        assert stats["refreshes"] == 1 and stats.get("expired_access", 0) == 0
        saved = load_tokens(store.credentials(CONNECTION))
        assert saved is not None and saved.refresh_token != first.refresh_token


def test_a_401_refreshes_once_and_retries_the_call(emulator: Emulator, store: Store) -> None:
    grant_tokens(emulator, store)
    connector = connector_for(emulator, store)
    item = services_id(connector)
    emulator.admin("tokens/expire", {})
    assert connector.get("Item", item) is not None
    stats = emulator.stats()
    assert stats["expired_access"] == 1 and stats["refreshes"] == 1


def test_the_rotated_pair_is_persisted_and_used_by_the_next_worker(emulator: Emulator,
                                                                   store: Store) -> None:
    grant_tokens(emulator, store)
    first = connector_for(emulator, store)
    item = services_id(first)
    emulator.admin("tokens/expire", {})
    first.get("Item", item)
    rotated = load_tokens(store.credentials(CONNECTION))
    second = connector_for(emulator, store)
    assert second.get("Item", item) is not None
    assert second.tokens.current() == rotated
    assert emulator.stats()["refreshes"] == 1


def test_a_worker_that_lost_the_race_uses_the_winners_token(emulator: Emulator,
                                                            store: Store) -> None:
    grant_tokens(emulator, store)
    winner, loser = connector_for(emulator, store), connector_for(emulator, store)
    item = services_id(winner)
    loser.get("Item", item)  # the loser caches the first pair
    stale = loser.tokens.current()
    emulator.admin("tokens/expire", {})
    winner.get("Item", item)  # rotates and stores the new pair
    assert loser.get("Item", item) is not None  # 401, then the stored pair: no refresh
    assert loser.tokens.current() != stale
    stats = emulator.stats()
    assert stats["refreshes"] == 1 and stats.get("invalid_grant", 0) == 0


class StaleFirstRead:
    """A credential store whose first read inside the lock is from before a winner's commit."""

    def __init__(self, inner: Any, stale: str):
        self.inner, self.stale = inner, stale

    def get(self, key: str) -> str | None:
        if key == TOKENS_KEY and self.stale:
            value, self.stale = self.stale, ""
            return value
        return self.inner.get(key)

    def put(self, key: str, value: str) -> None:
        self.inner.put(key, value)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def locked(self, key: str) -> Any:
        return self.inner.locked(key)


def test_invalid_grant_re_reads_the_store_before_giving_up(emulator: Emulator,
                                                           store: Store) -> None:
    credentials = store.credentials(CONNECTION)
    grant_tokens(emulator, store)
    old = credentials.get(TOKENS_KEY)
    winner = connector_for(emulator, store)
    emulator.admin("tokens/expire", {})
    item = services_id(winner)  # the winner rotated: `old` holds a dead refresh token
    assert old is not None
    loser = QuickBooksConnector(winner.settings, StaleFirstRead(credentials, old),
                                retry=FAST_RETRY)
    loser.tokens._cached = TokenSet.from_json(old)  # it worked with the old pair until now
    assert loser.get("Item", item) is not None
    stats = emulator.stats()
    assert stats["invalid_grant"] == 1 and stats["refreshes"] == 1


def test_a_revoked_grant_stops_with_the_reauth_command(emulator: Emulator,
                                                       store: Store) -> None:
    tokens = grant_tokens(emulator, store)
    connector = connector_for(emulator, store)
    connector.endpoint.revoke(tokens.refresh_token)
    with pytest.raises(AuthError) as caught:
        connector.get("Item", "1")
    assert f"ml-connector connections auth {CONNECTION}" in str(caught.value)
    assert caught.value.reauth_command == f"ml-connector connections auth {CONNECTION}"
    assert tokens.refresh_token not in str(caught.value)


def test_a_revoked_grant_reads_as_broken_until_authorised_again(emulator: Emulator,
                                                               store: Store) -> None:
    """`status` and `/healthz` ask `health()`, often from another process than the one the
    refusal happened in: it must tell from the store alone, and forget it once renewed."""
    tokens = grant_tokens(emulator, store)
    connector = connector_for(emulator, store)
    assert connector.health()["authorised"] is True
    connector.endpoint.revoke(tokens.refresh_token)
    with pytest.raises(AuthError):
        connector.get("Item", "1")
    elsewhere = connector_for(emulator, store)       # e.g. `status`, with nothing in memory
    health = elsewhere.health()
    assert health["authorised"] is False
    assert "refused the refresh token" in health["problem"]
    assert "Token has been expired or revoked." in health["problem"]
    assert health["fix"] == f"run `ml-connector connections auth {CONNECTION}`"
    assert tokens.refresh_token not in str(health)
    grant_tokens(emulator, store)                    # `connections auth` stored a new pair
    assert elsewhere.health()["authorised"] is True
    assert services_id(connector)                    # and the connector that failed recovers


def test_a_refresh_token_past_its_lifetime_reads_as_expired(emulator: Emulator,
                                                            store: Store) -> None:
    grant_tokens(emulator, store)
    later = Clock(shift=102 * 86400)   # the emulator's refresh tokens live 101 days
    health = connector_for(emulator, store, clock=later).health()
    assert health["authorised"] is False and "refresh token expired on" in health["problem"]
    assert health["fix"] == f"run `ml-connector connections auth {CONNECTION}`"


def test_a_connection_never_authorised_reads_as_broken(emulator: Emulator,
                                                       store: Store) -> None:
    health = connector_for(emulator, store).health()
    assert health == {"authorised": False,
                      "problem": "QuickBooks is not authorised for this connection yet",
                      "fix": f"run `ml-connector connections auth {CONNECTION}`"}


def test_a_connection_never_authorised_names_the_command(emulator: Emulator,
                                                         store: Store) -> None:
    connector = connector_for(emulator, store)
    with pytest.raises(AuthError, match="connections auth qbo"):
        connector.get("Item", "1")


def test_threads_share_one_refresh(emulator: Emulator, store: Store) -> None:
    grant_tokens(emulator, store)
    connector = connector_for(emulator, store)
    item = services_id(connector)
    emulator.admin("tokens/expire", {})
    errors: list[BaseException] = []

    def call() -> None:
        try:
            connector.get("Item", item)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stats = emulator.stats()
    assert stats["refreshes"] == 1 and stats.get("invalid_grant", 0) == 0


