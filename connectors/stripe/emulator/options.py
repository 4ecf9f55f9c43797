"""The emulator's settings, read once from the plain mapping callers pass to `create_app`."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

API_VERSION = "2026-10-28.endive"


@dataclass(frozen=True)
class EmulatorOptions:
    """What a test or the CLI can tune.

    `api_keys` None accepts any key of the emulator's mode (`sk_test_`/`rk_test_` in test
    mode); `rate_limits` turns on Stripe's published limits (25/s test, 100/s live, 20/s
    search, 25/s per endpoint); `webhook_retry_delays` compresses Stripe's retry schedule
    (hours) into seconds. `webhook_url` makes the endpoint signed with `webhook_secret`
    deliver there (registering it when the account has none), so an account saved with its
    endpoints can be brought back for a receiver listening somewhere else.
    """

    api_keys: tuple[str, ...] | None = None
    livemode: bool = False
    state_file: str | None = None
    seed: bool = False
    search_lag_seconds: float = 0.0
    rate_limits: bool = False
    fee_percent: Decimal = Decimal("2.9")
    fee_fixed: int = 30
    dispute_fee: int = 1500
    webhook_retry_delays: tuple[float, ...] = (0.2, 1.0, 3.0)
    webhook_timeout: float = 5.0
    api_version: str = API_VERSION
    account_name: str = "Emulated Stripe Account"
    account_country: str = "US"
    random_seed: int | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> EmulatorOptions:
        kwargs = dict(options or {})
        unknown = sorted(set(kwargs) - set(cls.__dataclass_fields__))
        if unknown:
            hints = {u: difflib.get_close_matches(u, cls.__dataclass_fields__, 1) for u in unknown}
            text = ", ".join(f"{u!r}" + (f" (did you mean {h[0]!r}?)" if h else "")
                             for u, h in hints.items())
            raise ValueError(f"unknown Stripe emulator option(s): {text}")
        if kwargs.get("api_keys") is not None:
            kwargs["api_keys"] = tuple(kwargs["api_keys"])
        if "fee_percent" in kwargs:
            kwargs["fee_percent"] = Decimal(str(kwargs["fee_percent"]))
        if "webhook_retry_delays" in kwargs:
            kwargs["webhook_retry_delays"] = tuple(kwargs["webhook_retry_delays"])
        return cls(**kwargs)

    def key_mode_prefixes(self) -> tuple[str, ...]:
        mode = "live" if self.livemode else "test"
        return (f"sk_{mode}_", f"rk_{mode}_")
