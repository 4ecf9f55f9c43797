"""QBO answers classified into the engine's error tree, from one table.

The key is the vendor's own `Fault.Error.code` (read case-insensitively: 401 bodies come
both capitalised and lower-case), with the HTTP status as fallback. A 200 can carry a
Fault too, so the body is checked whatever the status. Messages quote QBO's `Message` and
`Detail`, never the request, and name the re-authorisation command where one helps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ml_connector.connectors.quickbooks import jsonio
from ml_connector.engine.errors import (
    AuthError,
    ConflictError,
    ConnectorError,
    NotFoundError,
    PermanentError,
    RetryableError,
)
from ml_connector.engine.http import classify_status, parse_retry_after


@dataclass(frozen=True)
class QboFaultInfo:
    code: str | None
    message: str
    detail: str
    fault_type: str

    def text(self) -> str:
        detail = f": {self.detail}" if self.detail and self.detail != self.message else ""
        return f"QBO error {self.code or '?'} ({self.message}{detail})"


Rule = Callable[[QboFaultInfo, httpx.Response, "Classifier"], ConnectorError]


def fault_info(response: httpx.Response) -> QboFaultInfo | None:
    """The first error of a `Fault` (or lower-case `fault`) body, or None."""
    try:
        body = jsonio.loads(response.content)
    except ValueError:
        return None
    fault = _get(body, "fault") if isinstance(body, Mapping) else None
    if not isinstance(fault, Mapping):
        return None
    errors = _get(fault, "error")
    first = errors[0] if isinstance(errors, list) and errors else {}
    code = _get(first, "code")
    return QboFaultInfo(str(code) if code is not None else None,
                        str(_get(first, "message") or ""), str(_get(first, "detail") or ""),
                        str(_get(fault, "type") or ""))


def _get(mapping: Any, key: str) -> Any:
    if not isinstance(mapping, Mapping):
        return None
    for name, value in mapping.items():
        if isinstance(name, str) and name.lower() == key:
            return value
    return None


class Classifier:
    """`ApiClient(classify=Classifier(settings...))`: response -> error or None."""

    def __init__(self, reauth_command: str, throttle_wait: float = 60.0):
        self.reauth_command, self.throttle_wait = reauth_command, throttle_wait

    def __call__(self, response: httpx.Response) -> ConnectorError | None:
        info = fault_info(response)
        if info is None:
            return classify_status(response) if response.status_code >= 400 else None
        rule = RULES.get(info.code or "") or _by_status
        error = rule(info, response, self)
        error.code = error.code or info.code
        return error


def _auth(info: QboFaultInfo, response: httpx.Response, c: Classifier) -> ConnectorError:
    return AuthError(f"QuickBooks refused the credentials: {info.text()}",
                     reauth_command=c.reauth_command, status=response.status_code)


def _lost_access(info: QboFaultInfo, response: httpx.Response, c: Classifier
                 ) -> ConnectorError:
    return AuthError(f"QuickBooks denied access to this company (the user may have lost "
                     f"access or the subscription lapsed): {info.text()}",
                     reauth_command=c.reauth_command, status=response.status_code)


def _company_status(info: QboFaultInfo, response: httpx.Response, c: Classifier
                    ) -> ConnectorError:
    return AuthError(f"the QuickBooks company cannot be used right now (trial ended or "
                     f"billing problem); fix it in QuickBooks: {info.text()}",
                     status=response.status_code)


def _throttled(info: QboFaultInfo, response: httpx.Response, c: Classifier
               ) -> ConnectorError:
    hint = parse_retry_after(response.headers.get("Retry-After"))
    return RetryableError(f"QuickBooks throttled the request: {info.text()}",
                          retry_after=hint if hint is not None else c.throttle_wait,
                          status=response.status_code)


def _stale(info: QboFaultInfo, response: httpx.Response, c: Classifier) -> ConnectorError:
    return ConflictError(f"the record changed in QuickBooks since it was read "
                         f"(stale SyncToken): {info.text()}", status=response.status_code)


def _duplicate_name(info: QboFaultInfo, response: httpx.Response, c: Classifier
                    ) -> ConnectorError:
    return PermanentError("another QuickBooks customer, vendor or employee already uses this "
                          "name (names must be unique across all three); match the existing "
                          f"record or change the name in the mapping: {info.text()}",
                          status=response.status_code)


def _duplicate_number(info: QboFaultInfo, response: httpx.Response, c: Classifier
                      ) -> ConnectorError:
    return PermanentError("this document number is already used in QuickBooks; map another "
                          f"DocNumber or leave it out: {info.text()}",
                          status=response.status_code)


def _not_found(info: QboFaultInfo, response: httpx.Response, c: Classifier) -> ConnectorError:
    """610 on a read: the record is gone. On a write: something it refers to is inactive."""
    if response.request.method == "GET":
        return NotFoundError(f"the record does not exist in QuickBooks: {info.text()}",
                             status=response.status_code)
    return PermanentError(f"a record this write refers to is missing or inactive in "
                          f"QuickBooks: {info.text()}", status=response.status_code)


def _permanent(info: QboFaultInfo, response: httpx.Response, c: Classifier
               ) -> ConnectorError:
    return PermanentError(f"QuickBooks rejected the request: {info.text()}",
                          status=response.status_code)


def _retryable(info: QboFaultInfo, response: httpx.Response, c: Classifier
               ) -> ConnectorError:
    return RetryableError(f"QuickBooks had a server-side problem: {info.text()}",
                          status=response.status_code)


def _by_status(info: QboFaultInfo, response: httpx.Response, c: Classifier
               ) -> ConnectorError:
    status = response.status_code
    if status == 401:
        return _auth(info, response, c)
    if status == 429:
        return _throttled(info, response, c)
    if status >= 500 or info.fault_type == "SystemFault":
        return _retryable(info, response, c)
    if status == 404:
        return _not_found(info, response, c)
    return _permanent(info, response, c)


RULES: dict[str, Rule] = {
    "3200": _auth, "3100": _auth, "120": _lost_access, "6190": _company_status,
    "3001": _throttled, "5010": _stale, "6240": _duplicate_name,
    "6140": _duplicate_number, "6210": _duplicate_number, "610": _not_found,
    "2050": _permanent, "2020": _permanent, "2010": _permanent, "6000": _permanent,
    "500": _permanent, "4000": _permanent, "4001": _permanent, "4002": _permanent,
    "10000": _retryable,
}
