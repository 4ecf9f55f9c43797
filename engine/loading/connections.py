"""Checking the `connections:` of a project file against the installed connectors.

Each connection names a connector; its `settings` must satisfy that connector's config
schema, and every setting the schema marks `writeOnly` (a secret) must be a reference, so a
secret value never lives in a file that gets committed, and is never echoed back in an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from ml_connector.engine.errors import MlConnectorError
from ml_connector.engine.loading.references import is_reference
from ml_connector.engine.loading.schema_errors import validate
from ml_connector.engine.loading.suggest import did_you_mean, one_of
from ml_connector.engine.loading.yaml_nodes import MISSING, Path, YamlDocument, value_at
from ml_connector.engine.model.project import Connection


class PluginRegistry(Protocol):
    """What loading needs from the plugin registry: look a connector up, list them all."""

    def get(self, name: str) -> Any: ...

    def names(self) -> list[str]: ...


def secret_paths(schema: Mapping[str, Any], prefix: Path = ()) -> Iterator[Path]:
    """Paths of the settings a config schema marks `writeOnly`, nested objects included."""
    for key, sub in schema.get("properties", {}).items():
        if not isinstance(sub, Mapping):
            continue
        if sub.get("writeOnly") is True:
            yield (*prefix, key)
        else:
            yield from secret_paths(sub, (*prefix, key))


def lookup_plugin(doc: YamlDocument, path: Path, connector: str, registry: PluginRegistry) -> Any:
    """The plugin named `connector`, or None after recording why it cannot be used."""
    try:
        return registry.get(connector)
    except KeyError:
        names = registry.names()
        doc.error(path, f"unknown connector '{connector}'{did_you_mean(connector, names)}; "
                        f"installed connectors: {one_of(names)}")
    except MlConnectorError as exc:  # the registry already worded why the plugin is unusable
        doc.error(path, str(exc))
    except Exception as exc:  # a broken plugin is reported, never a crash of the loader
        doc.error(path, f"connector '{connector}' could not be loaded: {type(exc).__name__}: {exc}")
    return None


def check_connection(
    doc: YamlDocument, name: str, raw: Mapping[str, Any], registry: PluginRegistry
) -> Connection:
    """Validate one schema-valid connection entry and build its model value."""
    path: Path = ("connections", name)
    settings = raw.get("settings") or {}
    plugin = lookup_plugin(doc, (*path, "connector"), raw["connector"], registry)
    if plugin is not None:
        _check_settings(doc, name, settings, plugin.config_schema())
    return Connection(
        name=name,
        connector=raw["connector"],
        settings=settings,
        base_url=raw["base_url"] if isinstance(raw.get("base_url"), str) else None,
        location=doc.locate_key(path),
        webhook_settle_seconds=_seconds(raw.get("webhook_settle_seconds")),
    )


def _seconds(value: Any) -> float | None:
    """A schema-checked number of seconds, or None when the entry does not set one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _check_settings(
    doc: YamlDocument, name: str, settings: Mapping[str, Any], schema: Mapping[str, Any]
) -> None:
    prefix: Path = ("connections", name, "settings")
    secrets = list(secret_paths(schema))
    for secret in secrets:
        value = value_at(settings, secret)
        if value is not MISSING and not is_reference(value):
            doc.error((*prefix, *secret), _plaintext_message(name, secret))

    def hidden(where: Path) -> bool:
        in_secret = any(where[: len(s)] == s for s in secrets)
        return bool(where) and (in_secret or is_reference(value_at(settings, where)))

    validate(doc, settings, schema, prefix=prefix, ignore=hidden)


def _plaintext_message(connection: str, setting: Path) -> str:
    """Say how to write the secret properly, without ever repeating the value written."""
    key = ".".join(str(p) for p in setting)
    env = re.sub(r"[^A-Z0-9]+", "_", f"{connection}_{key}".upper())
    return (
        f"setting '{key}' is a secret: write a reference such as ${{env:{env}}} or store it "
        f"with `ml-connector connections set-secret {connection} {key}`, never the value"
    )
