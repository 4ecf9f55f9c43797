"""`python -m ml_connector.connectors.stripe.emulator --port 12111`: serve the emulator."""

from __future__ import annotations

import argparse

import uvicorn

from ml_connector.connectors.stripe.emulator.app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local emulator of the Stripe API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--seed", action="store_true", help="start with a realistic account")
    parser.add_argument("--state-file", help="keep the account in this JSON file")
    parser.add_argument("--search-lag", type=float, default=0.0,
                        help="seconds before a change becomes searchable")
    parser.add_argument("--rate-limits", action="store_true",
                        help="answer 429 above Stripe's published rate limits")
    args = parser.parse_args(argv)
    app = create_app({"seed": args.seed, "state_file": args.state_file,
                      "search_lag_seconds": args.search_lag, "rate_limits": args.rate_limits})
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
