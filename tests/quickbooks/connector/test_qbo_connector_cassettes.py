"""The connector's conversation replayed offline from `cassettes/quickbooks/`.

Replay uses `record_mode="none"`: a request the cassette does not hold fails, and every
recorded interaction must be played. A second test proves no secret-shaped string is in
any cassette. Re-record with `tests/quickbooks/connector/record_cassettes.py`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from qbo_conversation import (
    CASSETTE,
    CASSETTES,
    HOST,
    REALM,
    SECRET_SHAPES,
    converse,
    open_connector,
    recorder,
    settings,
    store_expiring_tokens,
)

from ml_connector.engine.redaction import redact_text
from ml_connector.engine.store import Store


def test_the_recorded_conversation_replays_offline(store: Store) -> None:
    credentials = store.credentials("qbo")
    store_expiring_tokens(credentials, "recorded-access", "recorded-refresh", REALM)
    connector = open_connector(settings(HOST), credentials)
    with recorder("none").use_cassette(str(CASSETTE), allow_playback_repeats=False) as tape:
        outcome = converse(connector)
    assert tape.all_played, "the cassette holds interactions the connector no longer makes"
    assert tape.play_count == len(tape.data)
    assert outcome["found"] == [outcome["customer"]]
    assert outcome["total"] == Decimal("3") * Decimal("50.00") + Decimal("2") * Decimal(
        "12.25") - Decimal("10.00") + Decimal("8.52")
    assert outcome["note"] == "stripe_invoice=in_test" and outcome["version"] == "1"
    assert outcome["paid_balance"] == 0
    assert outcome["changed"] == [outcome["invoice"]]
    assert outcome["voided_total"] == 0


def cassette_files() -> list[Path]:
    return sorted(CASSETTES.rglob("*.yaml"))


def test_there_are_cassettes() -> None:
    assert CASSETTE in cassette_files()


@pytest.mark.parametrize("path", cassette_files(), ids=lambda p: p.name)
def test_no_cassette_holds_a_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        assert redact_text(line) == line, f"{path.name}:{number} still holds a secret"
    assert SECRET_SHAPES.search(text) is None
    assert "Bearer" not in text and "Basic " not in text
