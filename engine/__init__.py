"""The ml-connector engine. What a plugin author may rely on is exported here, and only here.

The list is pinned by a test (tests/unit/test_public_surface.py) so that any change to the
plugin-author API shows up in review.
"""

from ml_connector.engine.diagnostics import Diagnostic, Location
from ml_connector.engine.errors import (
    AuthError,
    ConflictError,
    ConnectorError,
    ImmutableTargetError,
    InvalidInput,
    MlConnectorError,
    NotFoundError,
    PermanentError,
    RetryableError,
)
from ml_connector.engine.http import ApiClient, RateLimiter, RetryPolicy
from ml_connector.engine.plugins.field_paths import WRITE_ONLY, FieldPath, holds
from ml_connector.engine.plugins.fields import OPEN, VALUE, Fields, ListOf, Shape, Value
from ml_connector.engine.plugins.protocol import (
    Connector,
    ConnectorContext,
    ConnectorPlugin,
    CredentialStore,
    EmulatorSetup,
    EntitySpec,
    FieldClearing,
    MatchListing,
    UpdateCheck,
    WebhookRejected,
)
from ml_connector.engine.plugins.webhook_checks import require_json_body
from ml_connector.engine.records import ChangePage, Record, WebhookEvent

__all__ = [
    "OPEN",
    "VALUE",
    "WRITE_ONLY",
    "ApiClient",
    "AuthError",
    "ChangePage",
    "ConflictError",
    "Connector",
    "ConnectorContext",
    "ConnectorError",
    "ConnectorPlugin",
    "CredentialStore",
    "Diagnostic",
    "EmulatorSetup",
    "EntitySpec",
    "FieldClearing",
    "FieldPath",
    "Fields",
    "ImmutableTargetError",
    "InvalidInput",
    "ListOf",
    "Location",
    "MatchListing",
    "MlConnectorError",
    "NotFoundError",
    "PermanentError",
    "RateLimiter",
    "Record",
    "RetryPolicy",
    "RetryableError",
    "Shape",
    "UpdateCheck",
    "Value",
    "WebhookEvent",
    "WebhookRejected",
    "holds",
    "require_json_body",
]
