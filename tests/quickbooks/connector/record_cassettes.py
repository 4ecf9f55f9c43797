"""Re-record the QBO cassettes: `python tests/quickbooks/connector/record_cassettes.py`.

Without arguments the conversation is recorded against the local emulator. With
`--sandbox` it is recorded against a real QBO sandbox company; set QBO_CLIENT_ID,
QBO_CLIENT_SECRET, QBO_REFRESH_TOKEN and QBO_REALM_ID first (see cassettes/quickbooks/
README.md). Either way every request and response is scrubbed with the same redaction
function the logs use before it is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from qbo_conversation import (
    CASSETTE,
    REALM,
    Scrubber,
    converse,
    open_connector,
    recorder,
    settings,
    store_expiring_tokens,
)

from ml_connector.connectors.quickbooks.settings import API_HOSTS, TOKEN_URL
from ml_connector.engine.store import Store
from ml_connector.engine.store.master_key import MasterKey


def record_with_emulator(credentials: object) -> None:
    from qbo_connector_kit import running_emulator

    with running_emulator(enforce_limits=False) as emulator:
        token = emulator.admin("connect", {"realm_id": REALM})
        store_expiring_tokens(credentials, token["access_token"],  # type: ignore[arg-type]
                              token["refresh_token"], REALM)
        qbo = settings(emulator.url, "qbo-test-client", "qbo-test-secret-fake123")
        _record(qbo, credentials, Scrubber((emulator.url,), REALM))


def record_with_sandbox(credentials: object) -> None:
    realm = os.environ["QBO_REALM_ID"]
    store_expiring_tokens(credentials, "expired",  # type: ignore[arg-type]
                          os.environ["QBO_REFRESH_TOKEN"], realm)
    qbo = settings(API_HOSTS["sandbox"], os.environ["QBO_CLIENT_ID"],
                   os.environ["QBO_CLIENT_SECRET"])
    qbo = dataclasses.replace(qbo, token_url=TOKEN_URL)
    origins = (API_HOSTS["sandbox"], TOKEN_URL.rsplit("/oauth2", 1)[0])
    _record(qbo, credentials, Scrubber(origins, realm))


def _record(qbo: object, credentials: object, scrubber: Scrubber) -> None:
    CASSETTE.unlink(missing_ok=True)
    connector = open_connector(qbo, credentials)  # type: ignore[arg-type]
    with recorder("all", scrubber).use_cassette(str(CASSETTE), allow_playback_repeats=False):
        outcome = converse(connector)
    connector.close()
    print(f"recorded {CASSETTE}: {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sandbox", action="store_true", help="record against QBO sandbox")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{folder}/state.db", master_key=MasterKey.generate(),
                           root=Path(folder))
        credentials = store.credentials("qbo")
        (record_with_sandbox if args.sandbox else record_with_emulator)(credentials)
