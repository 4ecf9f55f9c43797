"""How fast one connection may call Stripe: the account-wide, search and per-endpoint budgets.

Stripe counts requests per second account-wide, for search, and for each endpoint on its
own, where an endpoint is a method and a path template (`POST /v1/invoiceitems` and
`GET /v1/invoices/{id}` are separate budgets, and `/v1/invoices/in_1/finalize` and
`/v1/invoices/in_2/finalize` share one). A request waits for every budget it counts
against through the `ApiClient`'s `limiters_for` hook: its endpoint's (and search's) first,
the account-wide one last, so the shared budget is spent when the request really leaves.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from ml_connector.connectors.stripe.settings import StripeSettings
from ml_connector.engine.http import RateLimiter

# Share of each published limit the client allows itself. Requests leave on an even
# schedule, but Stripe counts them as they arrive, after thread wake-ups, the trip there and
# a busy server have shifted each by some milliseconds; a one-second window then sometimes
# holds a request or two more than were scheduled in it. Backfilling 500 invoices with 32
# workers against the emulator's one-second windows at 100/s, the share answered 429 was
# 1.5% at 99% of the limit, 1.3% at 97%, 0.6% at 95% and 92%, and 0.2% at 90%, which cost
# 8% in time against 99%. Per endpoint (25/s, the binding limit for a backfill) neither 90%
# nor 95% drew a single 429 in a 300-customer backfill, and 95% finished 5% sooner; 95% keeps
# the account-wide share (0.6%) under the 1% a healthy integration aims for.
SAFETY = 0.95

ID = re.compile(r"^[a-z]+_(?=[A-Za-z0-9]*[A-Z0-9])[A-Za-z0-9]+$")
PLACEHOLDER = "{id}"


def endpoint_of(method: str, path: str) -> str:
    """`POST /v1/invoices/{id}/finalize` for `POST /v1/invoices/in_1Ab/finalize`.

    Stripe ids are a lowercase prefix, an underscore and random letters and digits; path
    words such as `payment_intents` or `mark_uncollectible` have no digit or capital after
    the underscore, so they stay as they are.
    """
    parts = [PLACEHOLDER if ID.match(part) else part for part in path.split("/")]
    return f"{method.upper()} {'/'.join(parts)}"


def is_search(method: str, path: str) -> bool:
    return method.upper() == "GET" and path.rstrip("/").endswith("/search")


class Pacing:
    """The limiters of one connection, shared by all its threads.

    The per-endpoint limiters are made on first use: the connector calls a dozen endpoints,
    not the hundreds Stripe has.
    """

    def __init__(self, *, requests_per_second: float, search_requests_per_second: float,
                 endpoint_requests_per_second: float,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self._clock, self._sleep = clock, sleep
        self.overall = self._paced(requests_per_second)
        self.search = self._paced(search_requests_per_second)
        self._endpoint_rate = endpoint_requests_per_second
        self._endpoints: dict[str, RateLimiter] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: StripeSettings) -> Pacing:
        return cls(requests_per_second=settings.rate,
                   search_requests_per_second=settings.search_requests_per_second,
                   endpoint_requests_per_second=settings.endpoint_requests_per_second)

    def endpoint(self, method: str, path: str) -> RateLimiter:
        key = endpoint_of(method, path)
        with self._lock:
            limiter = self._endpoints.get(key)
            if limiter is None:
                limiter = self._endpoints[key] = self._paced(self._endpoint_rate)
            return limiter

    def limiters_for(self, method: str, path: str) -> tuple[RateLimiter, ...]:
        """What a request waits for besides `overall` (which the client holds itself)."""
        endpoint = self.endpoint(method, path)
        return (self.search, endpoint) if is_search(method, path) else (endpoint,)

    def _paced(self, limit: float) -> RateLimiter:
        """Requests spaced evenly at `SAFETY` times `limit` per second, without bursts.

        A bucket of capacity B refilling at R lets B + R requests through in one second,
        so B = 1 keeps a second's requests at R; see `SAFETY` for why R stays below the
        limit.
        """
        return RateLimiter(per_second=limit * SAFETY, burst=1, clock=self._clock,
                           sleep=self._sleep)
