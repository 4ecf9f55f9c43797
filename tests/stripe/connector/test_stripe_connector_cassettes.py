"""The connector's conversation replayed offline from `cassettes/stripe/`.

Replay uses `record_mode="none"`: a request the cassette does not hold fails, and every
recorded interaction must be played. A second test proves no secret-shaped string is in any
cassette. Re-record with `tests/stripe/connector/record_stripe_cassettes.py`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from stripe_conversation import CASSETTE, CASSETTES, converse, open_connector, recorder

from ml_connector.engine.redaction import redact_text

SECRET_SHAPES = re.compile(r"(sk|rk)_(test|live)_[A-Za-z0-9]|whsec_[A-Za-z0-9]|_secret_"
                           r"|Basic [A-Za-z0-9+/=]{8,}|Bearer [A-Za-z0-9]")


def test_the_recorded_conversation_replays_offline() -> None:
    connector = open_connector()
    with recorder("none").use_cassette(str(CASSETTE), allow_playback_repeats=False) as tape:
        outcome = converse(connector)
    connector.close()
    assert tape.all_played, "the cassette holds interactions the connector no longer makes"
    assert tape.play_count == len(tape.data)
    assert outcome["found"] == [outcome["customer"]]
    assert (outcome["invoice_status"], outcome["total"]) == ("open", 14000)
    assert outcome["memo"] == "Thank you" and outcome["refused"] is True
    assert outcome["voided"] == "void" and outcome["missing"] is None
    assert outcome["listed"] is True


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
    assert "127.0.0.1" not in text, "the recording host was rewritten to api.stripe.com"


def test_the_scan_would_catch_a_leak() -> None:
    assert SECRET_SHAPES.search("authorization: Basic c2tfdGVzdF9mYWtlMTIzOg==")
    assert SECRET_SHAPES.search('"client_secret": "pi_123_secret_456"')
    assert redact_text("sk_test_abcdef123456") != "sk_test_abcdef123456"
