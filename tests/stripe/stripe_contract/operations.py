"""Which `stripe` params TypedDict describes each method and path of the current API.

Read from the package's generated service classes, where each method names its params type
and sends `self._request("post", "/v1/invoices/{invoice}/pay", ...)`.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import stripe
import stripe.params

_DEF = re.compile(r"\n    def (\w+)\(")
_PARAMS = re.compile(r'params: Optional\["(\w+Params)"\]|params: "(\w+Params)"')
_REQUEST = re.compile(r'self\._request\(\s*"(get|post|delete)",\s*"(/v1/[^"]+)"')


@functools.cache
def operations() -> dict[tuple[str, str], type]:
    """(METHOD, path template) -> params TypedDict, for every v1 operation of the package."""
    found: dict[tuple[str, str], type] = {}
    for path in sorted(Path(stripe.__file__).parent.glob("_*_service.py")):
        text = path.read_text()
        for body in _DEF.split(text)[2::2]:
            params, request = _PARAMS.search(body), _REQUEST.search(body)
            if params is None or request is None:
                continue
            name = params.group(1) or params.group(2)
            cls = getattr(stripe.params, name, None)
            if cls is not None:
                found.setdefault((request.group(1).upper(), request.group(2)), cls)
    return found


@functools.cache
def _patterns() -> list[tuple[re.Pattern[str], str, str]]:
    entries = []
    for method, template in operations():
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        entries.append((re.compile(f"^{regex}$"), method, template))
    entries.sort(key=lambda e: e[2].count("{"))  # literal segments first
    return entries


def operation_for(method: str, path: str) -> tuple[str, type] | None:
    """(path template, params TypedDict) of a concrete request, or None when unknown."""
    for pattern, op_method, template in _patterns():
        if op_method == method.upper() and pattern.match(path):
            return template, operations()[(op_method, template)]
    return None
