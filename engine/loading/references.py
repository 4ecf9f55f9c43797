"""Secret and environment references in connection settings: `${env:NAME}`, `${secret:NAME}`.

Secrets never sit in the project file. A setting holds a reference, and the reference is
resolved by value from the parsed settings only when a connection is opened, never by
substituting text in the YAML (comments would be interpolated and line numbers drift).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ml_connector.engine.errors import InvalidInput

REFERENCE = re.compile(r"^\$\{(env|secret):([A-Za-z_][A-Za-z0-9_.\-]*)\}$")
SecretLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class Reference:
    """A parsed `${kind:name}` reference."""

    kind: str
    name: str


def parse_reference(value: object) -> Reference | None:
    """The reference `value` spells, or None when it is a plain value."""
    if not isinstance(value, str):
        return None
    match = REFERENCE.match(value.strip())
    return Reference(match.group(1), match.group(2)) if match else None


def is_reference(value: object) -> bool:
    """True when `value` is exactly one `${env:...}` or `${secret:...}` reference."""
    return parse_reference(value) is not None


def resolve_references(
    settings: Mapping[str, Any],
    env: Mapping[str, str],
    secret_lookup: SecretLookup,
    *,
    connection: str = "?",
) -> dict[str, Any]:
    """A copy of `settings` with every reference replaced by its value, nested ones too.

    Raises InvalidInput naming the connection and the setting (never a value) when an
    environment variable is unset or a stored secret is missing.
    """
    return {key: _resolve(value, (str(key),), env, secret_lookup, connection)
            for key, value in settings.items()}


def _resolve(value: Any, path: tuple[str, ...], env: Mapping[str, str],
             lookup: SecretLookup, connection: str) -> Any:
    if isinstance(value, Mapping):
        return {k: _resolve(v, (*path, str(k)), env, lookup, connection) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, (*path, str(i)), env, lookup, connection) for i, v in enumerate(value)]
    ref = parse_reference(value)
    if ref is None:
        return value
    setting = ".".join(path)
    if ref.kind == "env":
        if ref.name not in env:
            raise InvalidInput(
                f"connection '{connection}', setting '{setting}': environment variable "
                f"{ref.name} is not set"
            )
        return env[ref.name]
    found = lookup(ref.name)
    if found is None:
        raise InvalidInput(
            f"connection '{connection}', setting '{setting}': no stored secret '{ref.name}'; "
            f"store it with `{set_secret_command(ref.name, connection, path[-1])}`"
        )
    return found


def set_secret_command(secret: str, connection: str, setting: str) -> str:
    """The CLI command that stores `secret` (named `CONNECTION.SETTING` by convention)."""
    owner, _, key = secret.rpartition(".")
    if owner and key:
        return f"ml-connector connections set-secret {owner} {key}"
    return f"ml-connector connections set-secret {connection} {setting}"
