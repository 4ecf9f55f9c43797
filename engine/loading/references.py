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

    Raises InvalidInput naming the connection and every setting without a value (never a
    value), each with the step that provides it, so one attempt shows all there is to do.
    """
    resolved, missing = _resolve_all(settings, env, secret_lookup)
    if missing:
        raise InvalidInput(describe_unresolved(connection, missing))
    return resolved


@dataclass(frozen=True)
class Unresolved:
    """A reference in a connection's settings with nothing behind it yet."""

    setting: str          # dotted path of the setting, e.g. `client_secret`
    reference: Reference

    def problem(self, connection: str, program: str = "ml-connector") -> str:
        if self.reference.kind == "env":
            return f"environment variable {self.reference.name} is not set"
        command = set_secret_command(self.reference.name, connection, self.key, program)
        return f"no stored secret '{self.reference.name}'; store it with `{command}`"

    @property
    def key(self) -> str:
        return self.setting.rpartition(".")[2]


def unresolved_references(settings: Mapping[str, Any], env: Mapping[str, str],
                          secret_lookup: SecretLookup) -> list[Unresolved]:
    """Every reference in `settings` (nested ones too) whose variable or secret is absent."""
    return _resolve_all(settings, env, secret_lookup)[1]


def describe_unresolved(connection: str, missing: list[Unresolved],
                        program: str = "ml-connector") -> str:
    """One line for one missing value; a heading and a line each for several."""
    if len(missing) == 1:
        only = missing[0]
        return (f"connection '{connection}', setting '{only.setting}': "
                f"{only.problem(connection, program)}")
    lines = [f"connection '{connection}': {len(missing)} settings have no value:"]
    lines += [f"  setting '{m.setting}': {m.problem(connection, program)}" for m in missing]
    return "\n".join(lines)


def _resolve_all(settings: Mapping[str, Any], env: Mapping[str, str],
                 lookup: SecretLookup) -> tuple[dict[str, Any], list[Unresolved]]:
    missing: list[Unresolved] = []

    def resolve(value: Any, path: tuple[str, ...]) -> Any:
        if isinstance(value, Mapping):
            return {k: resolve(v, (*path, str(k))) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, (*path, str(i))) for i, v in enumerate(value)]
        ref = parse_reference(value)
        if ref is None:
            return value
        found = env.get(ref.name) if ref.kind == "env" else lookup(ref.name)
        if found is None:
            missing.append(Unresolved(".".join(path), ref))
        return found

    return {key: resolve(value, (str(key),)) for key, value in settings.items()}, missing


def set_secret_command(secret: str, connection: str, setting: str,
                       program: str = "ml-connector") -> str:
    """The CLI command that stores `secret` (named `CONNECTION.SETTING` by convention)."""
    owner, _, key = secret.rpartition(".")
    if owner and key:
        return f"{program} connections set-secret {owner} {key}"
    return f"{program} connections set-secret {connection} {setting}"
