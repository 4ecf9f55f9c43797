"""`Idempotency-Key` as Stripe implements it.

- The first request with a key that starts executing has its status and body saved; a retry
  with the same key and the same parameters gets that saved answer (same object id, even a
  saved error), marked `Idempotent-Replayed: true`.
- The same key with other parameters, or on another endpoint, is a 400 `idempotency_error`.
- A retry while the first request is still running is a 409 `idempotency_key_in_use`.
- Requests rejected before execution (validation) save nothing; keys expire after 24 hours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ml_connector.connectors.stripe.emulator.errors import StripeError

MAX_KEY_LENGTH = 255
KEY_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Saved:
    fingerprint: str
    status: int
    body: dict[str, Any]
    saved_at: float


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    return json.dumps([method, path, params], sort_keys=True)


class IdempotencyStore:
    """Saved answers and in-flight keys of one account."""

    def __init__(self) -> None:
        self._saved: dict[str, Saved] = {}
        self._in_flight: dict[str, str] = {}

    def begin(self, key: str, print_: str, now: float) -> Saved | None:
        """The saved answer to replay, or None after marking the key in flight."""
        if len(key) > MAX_KEY_LENGTH:
            raise StripeError(400, f"Idempotency keys can be at most {MAX_KEY_LENGTH} "
                              "characters long.", param="Idempotency-Key")
        saved = self._saved.get(key)
        if saved is not None and now - saved.saved_at > KEY_TTL_SECONDS:
            del self._saved[key]
            saved = None
        if saved is not None:
            if saved.fingerprint != print_:
                raise StripeError(
                    400, "Keys for idempotent requests can only be used with the same "
                    "parameters they were first used with. Try using a key other than "
                    f"'{key}' if you meant to execute a different request.",
                    type="idempotency_error")
            return saved
        if key in self._in_flight:
            raise StripeError(409, "There is currently another in-progress request using "
                              "this idempotency key. Retry this request later.",
                              code="idempotency_key_in_use")
        self._in_flight[key] = print_
        return None

    def finish(self, key: str, print_: str, status: int, body: dict[str, Any], now: float,
               *, save: bool) -> None:
        self._in_flight.pop(key, None)
        if save:
            self._saved[key] = Saved(print_, status, body, now)

    def clear(self) -> None:
        self._saved.clear()
        self._in_flight.clear()
