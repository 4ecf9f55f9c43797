"""The state store: links, intents, cursors, webhook inbox, audit trail, encrypted secrets.

Open it with `Store.open(url)`; the schema is migrated to head on open.
"""

from ml_connector.engine.store.audit import AuditEntry, AuditLog
from ml_connector.engine.store.credentials import (
    ConnectionCredentials,
    SecretRepository,
    rotate_master_key,
)
from ml_connector.engine.store.cursors import CursorRepository
from ml_connector.engine.store.inbox import Backlog, InboxItem, InboxRepository
from ml_connector.engine.store.intents import Intent, IntentRepository
from ml_connector.engine.store.links import Link, LinkRepository, LinkState
from ml_connector.engine.store.locks import LockTimeout
from ml_connector.engine.store.master_key import ENV_VAR as MASTER_KEY_ENV_VAR
from ml_connector.engine.store.master_key import MasterKey
from ml_connector.engine.store.polls import PollRecord, PollRepository
from ml_connector.engine.store.store import Store

__all__ = [
    "MASTER_KEY_ENV_VAR",
    "AuditEntry",
    "AuditLog",
    "Backlog",
    "ConnectionCredentials",
    "CursorRepository",
    "InboxItem",
    "InboxRepository",
    "Intent",
    "IntentRepository",
    "Link",
    "LinkRepository",
    "LinkState",
    "LockTimeout",
    "MasterKey",
    "PollRecord",
    "PollRepository",
    "SecretRepository",
    "Store",
    "rotate_master_key",
]
