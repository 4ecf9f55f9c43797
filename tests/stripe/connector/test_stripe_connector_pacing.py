"""Pacing: one connection stays under Stripe's account-wide and per-endpoint limits.

Many threads send through one connection on simulated time: a thread that sleeps waits
until every other thread is asleep too, and then time jumps to the earliest wake-up. The
times the requests leave are therefore exact and do not depend on how fast the machine is.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest
from jsonschema import Draft202012Validator
from stripe_flows import TEST_KEY

from ml_connector.connectors.stripe.api import StripeApi
from ml_connector.connectors.stripe.pacing import Pacing, endpoint_of
from ml_connector.connectors.stripe.plugin import plugin
from ml_connector.connectors.stripe.settings import StripeSettings

THREADS = 16


class SimulatedTime:
    """A clock that moves only when every worker thread sleeps (or has finished)."""

    def __init__(self, workers: int) -> None:
        self.now = 0.0
        self._running = workers
        self._sleepers: list[tuple[float, int, threading.Event]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()

    def clock(self) -> float:
        with self._changed:
            return self.now

    def sleep(self, seconds: float) -> None:
        woken = threading.Event()
        with self._changed:
            heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), woken))
            self._running -= 1
            self._changed.notify_all()
        assert woken.wait(timeout=60), "simulated time stalled"

    def finished(self) -> None:
        with self._changed:
            self._running -= 1
            self._changed.notify_all()

    def run(self) -> None:
        """Move time on, waking sleepers in order, until every worker has finished."""
        while True:
            with self._changed:
                assert self._changed.wait_for(lambda: self._running == 0, timeout=60)
                if not self._sleepers:
                    return
                self.now = max(self.now, self._sleepers[0][0])
                while self._sleepers and self._sleepers[0][0] <= self.now:
                    _, _, woken = heapq.heappop(self._sleepers)
                    self._running += 1
                    woken.set()


class Recorder:
    """A StripeApi over a fake transport that notes each request's endpoint and send time."""

    def __init__(self, **rates: float):
        self.time = SimulatedTime(THREADS)
        self.sent: list[tuple[str, float]] = []
        self._lock = threading.Lock()
        settings = StripeSettings(connection="stripe", secret_key=TEST_KEY, mode="live")
        limits = {"requests_per_second": 100.0, "search_requests_per_second": 20.0,
                  "endpoint_requests_per_second": 25.0, **rates}
        pacing = Pacing(**limits, clock=self.time.clock, sleep=self.time.sleep)
        self.api = StripeApi(settings, transport=httpx.MockTransport(self._answer),
                             pacing=pacing)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.sent.append((endpoint_of(request.method, request.url.path),
                              self.time.clock()))
        return httpx.Response(200, json={"id": "x", "data": [], "has_more": False})

    def hammer(self, calls: list[Callable[[StripeApi], object]]) -> None:
        """Make `calls` from many threads at once."""
        queue = iter(calls)
        lock = threading.Lock()

        def worker() -> None:
            try:
                while True:
                    with lock:
                        call = next(queue, None)
                    if call is None:
                        return
                    call(self.api)
            finally:
                self.time.finished()

        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        self.time.run()
        for thread in threads:
            thread.join(timeout=60)
        self.api.close()

    def times(self, endpoint: str | None = None) -> list[float]:
        return sorted(at for name, at in self.sent if endpoint in (None, name))


def most_in_one_second(times: list[float]) -> int:
    """The most stamps in any window (t - 1, t], the way Stripe counts a second."""
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def post_item(api: StripeApi) -> object:
    return api.post("/v1/invoiceitems", {"customer": "cus_1Ab", "amount": 100},
                    idempotency_key="k")


def read_invoice(number: int) -> Callable[[StripeApi], object]:
    return lambda api: api.get(f"/v1/invoices/in_{number}Xy")


def test_many_threads_never_send_more_than_25_a_second_to_one_endpoint() -> None:
    recorder = Recorder()
    recorder.hammer([post_item] * 200)
    times = recorder.times("POST /v1/invoiceitems")
    assert len(times) == 200
    assert most_in_one_second(times) <= 25
    assert most_in_one_second(times) >= 23, "paced close to the limit, not far below it"


def test_ids_in_the_path_do_not_make_separate_budgets() -> None:
    recorder = Recorder()
    recorder.hammer([read_invoice(n) for n in range(100)])
    assert Counter(name for name, _ in recorder.sent) == {"GET /v1/invoices/{id}": 100}
    assert most_in_one_second(recorder.times()) <= 25


def test_two_endpoints_do_not_share_a_budget() -> None:
    recorder = Recorder()
    calls: list[Callable[[StripeApi], object]] = []
    for number in range(75):
        calls += [post_item, read_invoice(number)]
    recorder.hammer(calls)
    for endpoint in ("POST /v1/invoiceitems", "GET /v1/invoices/{id}"):
        assert most_in_one_second(recorder.times(endpoint)) <= 25
    # 75 to each endpoint at 25/s take three seconds side by side; sharing one budget of 25
    # would take six.
    assert recorder.times()[-1] < 3.5
    assert most_in_one_second(recorder.times()) > 25


def test_the_account_wide_limit_still_holds_across_endpoints() -> None:
    recorder = Recorder(requests_per_second=30.0)
    recorder.hammer([read_invoice(n) if n % 2 else post_item for n in range(150)])
    assert most_in_one_second(recorder.times()) <= 30


def test_search_counts_against_search_and_its_endpoint() -> None:
    recorder = Recorder()
    recorder.hammer([lambda api: api.search("/v1/customers/search", "email:'a@b.example'")]
                    * 100 + [lambda api: api.get("/v1/customers", {})] * 100)
    assert most_in_one_second(recorder.times("GET /v1/customers/search")) <= 20
    assert most_in_one_second(recorder.times("GET /v1/customers")) <= 25


def test_the_endpoint_limit_is_a_connection_setting() -> None:
    recorder = Recorder(endpoint_requests_per_second=10.0)
    recorder.hammer([post_item] * 60)
    assert most_in_one_second(recorder.times()) <= 10


@pytest.mark.parametrize(("path", "endpoint"), [
    ("/v1/invoices/in_1NqXyZ/finalize", "POST /v1/invoices/{id}/finalize"),
    ("/v1/invoiceitems/ii_9aBc", "POST /v1/invoiceitems/{id}"),
    ("/v1/payment_intents", "POST /v1/payment_intents"),
    ("/v1/invoices/in_2/mark_uncollectible", "POST /v1/invoices/{id}/mark_uncollectible"),
    ("/v1/customers/cus_Q1/tax_ids/txi_7Z", "POST /v1/customers/{id}/tax_ids/{id}"),
])
def test_an_endpoint_is_the_method_and_the_path_without_ids(path: str, endpoint: str) -> None:
    assert endpoint_of("post", path) == endpoint


@pytest.fixture
def schema() -> Iterator[Draft202012Validator]:
    yield Draft202012Validator(dict(plugin.config_schema()))


def test_the_schema_accepts_a_positive_endpoint_limit_only(
        schema: Draft202012Validator) -> None:
    assert schema.is_valid({"secret_key": TEST_KEY, "endpoint_requests_per_second": 50})
    assert not schema.is_valid({"secret_key": TEST_KEY, "endpoint_requests_per_second": 0})
    assert not schema.is_valid({"secret_key": TEST_KEY, "endpoint_requests_per_second": "x"})


def test_the_endpoint_limit_defaults_to_stripes_25() -> None:
    settings = StripeSettings.from_mapping("stripe", {"secret_key": TEST_KEY})
    assert settings.endpoint_requests_per_second == 25.0
    assert StripeSettings.from_mapping("stripe", {
        "secret_key": TEST_KEY, "endpoint_requests_per_second": 40}
    ).endpoint_requests_per_second == 40
