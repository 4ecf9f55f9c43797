"""Re-record the Stripe cassettes: `python tests/stripe/connector/record_stripe_cassettes.py`.

Without arguments the conversation is recorded against the local emulator. With
`--test-mode` it is recorded against Stripe's test mode; set STRIPE_TEST_SECRET_KEY to a
`sk_test_` key of your own account first (see cassettes/stripe/README.md). Either way every
request and response is scrubbed with the redaction function the logs use before it is
written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))

from stripe_conversation import CASSETTE, Scrubber, converse, open_connector, recorder

from ml_connector.connectors.stripe.settings import API_BASE


def _record(base_url: str, key: str) -> None:
    CASSETTE.parent.mkdir(parents=True, exist_ok=True)
    CASSETTE.unlink(missing_ok=True)
    connector = open_connector(base_url, key)
    with recorder("all", Scrubber(base_url)).use_cassette(str(CASSETTE)):
        outcome = converse(connector)
    connector.close()
    print(f"recorded {CASSETTE}: {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test-mode", action="store_true",
                        help="record against Stripe's test mode (STRIPE_TEST_SECRET_KEY)")
    args = parser.parse_args()
    if args.test_mode:
        key = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
        if not key.startswith("sk_test_"):
            raise SystemExit("set STRIPE_TEST_SECRET_KEY to a sk_test_ key")
        _record(API_BASE, key)
        return
    from stripe_flows import running_emulator

    with running_emulator() as emulator:
        _record(emulator.url, "sk_test_recording_fake_key")


if __name__ == "__main__":
    main()
