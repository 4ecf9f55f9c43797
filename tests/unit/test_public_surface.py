"""The plugin-author API is exactly this list; changing it must be a deliberate, reviewed edit."""

import ml_connector.engine as engine

PLUGIN_AUTHOR_API = {
    "ApiClient", "AuthError", "ChangePage", "ConflictError", "Connector", "ConnectorContext",
    "ConnectorError", "ConnectorPlugin", "CredentialStore", "Diagnostic", "EmulatorSetup",
    "EntitySpec", "FieldClearing", "FieldPath", "Fields", "ImmutableTargetError",
    "InvalidInput", "ListOf", "Location",
    "MatchListing", "MlConnectorError", "NotFoundError", "OPEN", "PermanentError",
    "RateLimiter", "Record", "RetryPolicy", "RetryableError", "Shape", "UpdateCheck", "VALUE",
    "Value", "WRITE_ONLY", "WebhookEvent", "WebhookRejected", "holds", "require_json_body",
}


def test_engine_exports_exactly_the_plugin_author_api() -> None:
    assert set(engine.__all__) == PLUGIN_AUTHOR_API
    for name in engine.__all__:
        assert getattr(engine, name) is not None


def test_engine_code_names_no_particular_system() -> None:
    """The engine is connector-agnostic: no word of QuickBooks or Stripe under engine/."""
    from pathlib import Path

    root = Path(engine.__file__).parent
    offenders = [
        str(path.relative_to(root)) for path in root.rglob("*.py")
        if any(word in path.read_text(encoding="utf-8").lower()
               for word in ("quickbooks", "stripe", "intuit", "qbo"))
    ]
    assert offenders == []
