"""Masking of secrets before anything is logged, audited, recorded or shown in an error.

One function serves the audit trail, HTTP logging, error messages and recorded cassettes, so
a secret that is masked in one place is masked in all of them. Two things are masked:

* values stored under a secret-shaped key (`authorization`, `client_secret`, `api_key`, ...),
  whatever the value looks like;
* secret-shaped text anywhere (`sk_live_`-style API keys, webhook secrets, `Bearer` and
  `Basic` credentials, JWT-looking tokens, `password=...` pairs) and every value passed to
  `register_secret`, such as the credentials the state store decrypted, so a token that
  leaks into a message we did not foresee is still masked.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

MASK = "***"
MIN_REGISTERED_LENGTH = 6

_SECRET_KEYS = frozenset({
    "authorization", "proxy_authorization", "api_key", "apikey", "x_api_key", "secret",
    "password", "passwd", "pwd", "token", "refresh_token", "access_token", "id_token",
    "client_secret", "secret_key", "private_key", "cookie", "set_cookie", "session",
    "credentials", "webhook_secret", "signing_secret", "verifier_token", "master_key",
})
_SECRET_SUFFIXES = (
    "_token", "_secret", "_password", "_api_key", "_apikey", "_private_key", "_credentials",
)
# Keys that end like secrets but name public values the audit trail needs to keep.
_NOT_SECRET_KEYS = frozenset({"sync_token", "next_page_token", "token_type", "csrf_token"})

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Secret and restricted API keys (`sk_`/`rk_` live and test), webhook signing secrets.
    (re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{6,}"), MASK),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]{6,}"), MASK),
    # HTTP credentials: `Bearer <token>` and `Basic <base64>` (the latter must look encoded,
    # so ordinary prose such as "Basic information" stays readable).
    (re.compile(r"(?i)\b(Bearer)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + MASK),
    (re.compile(r"(?i)\b(Basic)\s+(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{6,}={0,2}"),
     r"\1 " + MASK),
    # JWT / JWE-looking tokens: a base64url JSON header followed by dot-separated segments.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){1,4}"), MASK),
    # key=value or "key": "value" pairs in query strings, form bodies and JSON text.
    (re.compile(
        r"(?i)(\b(?:client_secret|refresh_token|access_token|id_token|api_key|apikey|password|"
        r"passwd|secret|token)\b[\"']?\s*[:=]\s*[\"']?)(?!\*\*\*)[^\s\"'&,;}]{3,}"),
     r"\1" + MASK),
)

_registered: set[str] = set()
_registered_pattern: re.Pattern[str] | None = None
_registry_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret so `redact` masks it wherever it shows up later in this process.

    Values shorter than six characters are ignored: masking every "abc" in every log line
    would do more harm than good, and no real credential is that short.
    """
    global _registered_pattern
    if not isinstance(value, str) or len(value) < MIN_REGISTERED_LENGTH:
        return
    with _registry_lock:
        if value in _registered:
            return
        _registered.add(value)
        ordered = sorted(_registered, key=len, reverse=True)
        _registered_pattern = re.compile("|".join(re.escape(s) for s in ordered))


def is_secret_key(key: object) -> bool:
    """True when a mapping key names a secret (case, dashes and camelCase do not matter)."""
    if not isinstance(key, str):
        return False
    normal = _CAMEL_BOUNDARY.sub("_", key.strip()).lower().replace("-", "_")
    if normal in _NOT_SECRET_KEYS:
        return False
    return normal in _SECRET_KEYS or normal.endswith(_SECRET_SUFFIXES)


def redact_text(text: str) -> str:
    """`text` with registered secrets and secret-shaped substrings replaced by `***`."""
    pattern = _registered_pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for regex, replacement in _TEXT_PATTERNS:
        text = regex.sub(replacement, text)
    return text


def redact(value: Any) -> Any:
    """A copy of `value` safe to log or store: mappings, sequences and text are walked.

    Values under secret-shaped keys become `***` (None stays None, so "not set" remains
    visible); strings are scanned with `redact_text`; other scalars are returned unchanged.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            k: (MASK if v is not None else None) if is_secret_key(k) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(redact(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value).decode("utf-8", "replace")).encode("utf-8")
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the final message and any traceback text.

    The message is formatted here (arguments merged in) and the arguments dropped, because a
    secret usually arrives as an argument rather than in the format string. Attach it to
    handlers: a filter on a logger does not see records propagated from its children.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the log line
            message = str(record.msg)
        record.msg, record.args = redact_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True
