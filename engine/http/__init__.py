"""The shared HTTP layer: one retrying, rate-limited client per connection.

Connectors build their API clients from these pieces so that retries, rate limits and
429 handling are written once, not once per connector.
"""

from ml_connector.engine.http.classify import classify_status
from ml_connector.engine.http.client import ApiClient, Classifier, EventHook, LimitersFor
from ml_connector.engine.http.rate_limit import RateLimiter
from ml_connector.engine.http.retry import RetryPolicy, parse_retry_after

__all__ = [
    "ApiClient",
    "Classifier",
    "EventHook",
    "LimitersFor",
    "RateLimiter",
    "RetryPolicy",
    "classify_status",
    "parse_retry_after",
]
