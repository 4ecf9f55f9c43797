"""The one Jinja environment every mapping expression is compiled in.

Sandboxed, because pipeline files are user input, and immutable, because an expression
that could call `record.Line.pop()` would change the record it reads (and the payload hash
the engine uses to skip unchanged records). Strict about undefined values, so a misspelt
field fails loudly instead of sending an empty string to a payment API.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, Undefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment
from jinja2.utils import missing

from ml_connector.engine.mapping.countries import country_code
from ml_connector.engine.mapping.dates import date_from_unix, unix_timestamp
from ml_connector.engine.mapping.money import decimal, major_units, minor_units, money

CONTEXT_NAMES: frozenset[str] = frozenset(
    {"record", "source", "params", "link", "linked_source", "lookup", "now"}
)
"""Names the engine puts in every render context; a pipeline may use these and no others."""

FILTERS: Mapping[str, Callable[..., Any]] = {
    "minor_units": minor_units,
    "major_units": major_units,
    "money": money,
    "decimal": decimal,
    "unix_timestamp": unix_timestamp,
    "date_from_unix": date_from_unix,
    "country_code": country_code,
}
"""The product's own filters, added to Jinja's built-in ones."""

FILTER_ENTRY_POINT_GROUP = "ml_connector.filters"
log = logging.getLogger("ml_connector.mapping")


def plugin_filters() -> dict[str, Callable[..., Any]]:
    """Filters installed packages contribute (entry-point group `ml_connector.filters`).

    A connector knows the shapes its system writes (an invoice's kinds of line, say), so
    it may ship a filter that reads them; the engine stays free of any one system. A filter
    that fails to load is logged and left out, so a pipeline that uses it fails validation
    naming the unknown filter while every other pipeline works. The product's own filters
    keep their names: a plugin cannot replace `minor_units`.
    """
    found: dict[str, Callable[..., Any]] = {}
    for entry in importlib.metadata.entry_points(group=FILTER_ENTRY_POINT_GROUP):
        if entry.name in FILTERS:
            continue
        try:
            function = entry.load()
        except Exception as exc:  # a broken extension must not break every mapping
            log.warning("filter %r could not be loaded: %s", entry.name, exc)
            continue
        if callable(function):
            found[entry.name] = function
    return found


class StrictChainableUndefined(ChainableUndefined, StrictUndefined):
    """Strict in every use, but `record.CustomerMemo.value | default(none)` still works.

    Plain StrictUndefined fails on the attribute access itself, before `default` or
    `is defined` can see it; chaining keeps the first missing name in the error message.
    """

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        """Names the missing field the way a pipeline author wrote it, not Python's types."""
        name, obj = self._undefined_name, self._undefined_obj
        if self._undefined_hint:
            return self._undefined_hint
        if obj is missing:
            return f"{name!r} is undefined"
        if isinstance(obj, Mapping):
            return f"no field {name!r}"
        if isinstance(name, int) and isinstance(obj, Sequence):
            return f"no item {name} in a list of {len(obj)}"
        return f"{type(obj).__name__} value has no attribute {name!r}"


# Bounds on the two operators that can build huge values from a short expression
# ('a' * 10**9, 2**10**10): far above anything a mapping needs, far below harm.
MAX_REPEAT_LENGTH = 100_000
MAX_POWER_BITS = 100_000


class MappingEnvironment(ImmutableSandboxedEnvironment):
    """Sandbox whose refusals read as product messages rather than Python internals."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if (isinstance(left, int) and isinstance(right, int)
                    and max(left.bit_length(), 1) * abs(right) > MAX_POWER_BITS):
                raise SecurityError(f"a power larger than {MAX_POWER_BITS} bits is not allowed")
            return left ** right
        for sequence, count in ((left, right), (right, left)):
            if (isinstance(sequence, str | list | tuple) and isinstance(count, int)
                    and len(sequence) * count > MAX_REPEAT_LENGTH):
                raise SecurityError(f"a repeated value longer than {MAX_REPEAT_LENGTH} "
                                    "is not allowed")
        return left * right

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        return self.undefined(
            f"access to {attribute!r} is not allowed",
            name=attribute,
            obj=obj,
            exc=SecurityError,
        )


def create_environment() -> SandboxedEnvironment:
    """A fresh environment with the product's filters; tests may trim or extend a copy."""
    env = MappingEnvironment(undefined=StrictChainableUndefined, autoescape=False)
    env.filters.update(plugin_filters())
    env.filters.update(FILTERS)
    return env


@cache
def default_environment() -> SandboxedEnvironment:
    """The shared environment: compiled templates are bound to it, so it is built once."""
    return create_environment()
